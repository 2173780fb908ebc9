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

# JSON under /api/, and 503 with Retry-After while PostgreSQL or Redis is out of reach.
handler404 = "incidents.error_views.not_found"
handler500 = "incidents.error_views.server_error"
