from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from incidents.api.ingest import ingest
from incidents.api.twilio_views import inbound_sms

urlpatterns = [
    path("api/v2/", include("incidents.api.public_urls")),
    path("api/staff/", include("incidents.api.staff_urls")),
    path("api/twilio/sms/", inbound_sms, name="twilio-inbound-sms"),
    path("api/ingest/<slug:source>/", ingest, name="ingest"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("console/", include("incidents.console.urls")),
    path("", include("incidents.public.urls")),
]

# Unknown paths get the public page's styled "not found" (JSON under /api/).
handler404 = "incidents.public.views.page_not_found"
