"""/a/<slug>/...: an audience's private copy of the site, to its signed-in readers only.

The copy is the one publish/audience_sites.py pushes outside the public mirror. Anyone
else, signed in or not, gets the same "not found" as for an audience that does not exist:
the answer says nothing of which audiences there are.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from incidents.audiences.viewer import viewer_for
from incidents.models import Audience
from incidents.public.cache_control import PRIVATE_CACHE_CONTROL
from incidents.publish.audience_mirror import audience_root
from incidents.publish.targets.local import read_published


@require_safe
def audience_site(request: HttpRequest, slug: str, rest: str = "") -> HttpResponse:
    viewer = viewer_for(request)
    audience_id = Audience.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if audience_id is None or audience_id not in viewer.audience_ids:
        raise Http404("no such page")
    published = read_published("/" + rest, root=audience_root(slug))
    if published is None or published.body is None:
        raise Http404("not in the audience's published copy")
    response = HttpResponse(published.body, content_type=published.content_type)
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL
    response["Vary"] = "Cookie"
    return response
