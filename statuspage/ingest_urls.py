"""The URL table of the ingest handler (statuspage/ingest_wsgi.py): the ingest route alone."""

from django.urls import path

from incidents.api.ingest import ingest

urlpatterns = [path("api/ingest/<slug:source>/", ingest, name="ingest")]

handler404 = "incidents.error_views.not_found"
handler500 = "incidents.error_views.server_error"
