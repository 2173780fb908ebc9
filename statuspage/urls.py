from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from incidents.api.ingest import ingest
from incidents.api.twilio_views import inbound_sms
from incidents.public.views import status_page

urlpatterns = [
    # The front page first, outside any include: it is the most requested URL, and Django
    # resolves "/" by asking each include in turn, each refusal raising Resolver404 and
    # building its "tried" list (~80 us a request, 15% of a cached page's cost; the
    # bench/README.md serving section). "public:status" below still names it for reverse().
    path("", status_page),
    path("api/v2/", include("incidents.api.public_urls")),
    path("api/staff/", include("incidents.api.staff_urls")),
    # Statuspage's management API paths: its clients work with base URL <site>/api.
    path("api/v1/", include("incidents.api.v1_urls")),
    path("api/twilio/sms/", inbound_sms, name="twilio-inbound-sms"),
    path("api/ingest/<slug:source>/", ingest, name="ingest"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("console/", include("incidents.console.urls")),
    # Readers of audience pages sign in here (incidents/readers/).
    path("reader/", include("incidents.readers.urls")),
]
# The public site in every shipped language: English unprefixed, the others under /<code>/
# (incidents/public/language.py activates the language before this is resolved).
urlpatterns += i18n_patterns(
    path("", include("incidents.public.urls")), prefix_default_language=False
)

# JSON under /api/, and 503 with Retry-After while PostgreSQL or Redis is out of reach.
handler404 = "incidents.error_views.not_found"
handler500 = "incidents.error_views.server_error"
