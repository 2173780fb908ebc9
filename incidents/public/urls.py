from __future__ import annotations

from django.urls import path, re_path

from incidents.public import (
    audience_site,
    badges,
    branding,
    feeds,
    ical,
    report,
    subscribe,
    verify,
    views,
    widget,
)

# A month (2026-11) or a quarter (2026-Q4); reliability/periods.py says which exist.
PERIOD = r"(?P<slug>[0-9]{4}-(?:[0-9]{2}|Q[1-4]))"

app_name = "public"
urlpatterns = [
    path("", views.status_page, name="status"),
    path("incidents/<slug:public_id>", views.incident_page, name="incident"),
    path("incidents/<slug:public_id>/follow", subscribe.incident_follow, name="incident_follow"),
    path("maintenance/<slug:public_id>", views.maintenance_page, name="maintenance"),
    path("uptime.json", views.uptime_data, name="uptime"),
    path("verified.json", views.verified_stamp, name="verified"),
    path("history", views.history_page, name="history"),
    re_path(
        r"^history/(?P<year>[0-9]{4})-(?P<month>[0-9]{2})$",
        views.history_month_page,
        name="history_month",
    ),
    re_path(
        r"^history/(?P<year>[0-9]{4})-(?P<month>[0-9]{2})/page/(?P<page>[0-9]+)$",
        views.history_month_page,
        name="history_month_page",
    ),
    path("report", report.report_index, name="report"),
    re_path(rf"^report/{PERIOD}$", report.report_period, name="report_period"),
    re_path(rf"^report/{PERIOD}\.json$", report.report_period_json, name="report_period_json"),
    re_path(rf"^report/{PERIOD}\.csv$", report.report_period_csv, name="report_period_csv"),
    path("report/components/<slug:public_id>", report.report_component, name="report_component"),
    path("history.atom", feeds.history_atom, name="history_atom"),
    path("history.rss", feeds.history_rss, name="history_rss"),
    path("maintenance.ics", ical.maintenance_ics, name="maintenance_ics"),
    path("badge.svg", badges.page_badge, name="badge"),
    path("badges/<slug:public_id>.svg", badges.component_badge, name="component_badge"),
    path("widget.js", widget.widget_js, name="widget"),
    path("brand/style.css", branding.brand_css, name="brand_css"),
    path("brand/logo.png", branding.brand_logo, name="brand_logo"),
    path("brand/favicon.png", branding.brand_favicon, name="brand_favicon"),
    path("verify", verify.verify_page, name="verify"),
    path("verify/notices.json", verify.notices_json, name="verify_notices"),
    # A shard of the index: two characters of a code's alphabet (signing.SHARD).
    re_path(
        r"^verify/notices/(?P<prefix>[0-9A-HJKMNP-TV-Z]{2})\.json\Z",
        verify.notices_shard_json,
        name="verify_notices_shard",
    ),
    path(".well-known/candor-keys.json", verify.keys_json, name="signing_keys"),
    path("subscribe", subscribe.subscribe, name="subscribe"),
    path("subscriptions/confirm/<str:token>", subscribe.confirm, name="subscription_confirm"),
    path("subscriptions/verify/<slug:public_id>", subscribe.verify, name="subscription_verify"),
    path("subscriptions/<str:token>/unsubscribe", subscribe.unsubscribe, name="unsubscribe"),
    path("subscriptions/<str:token>/secret", subscribe.webhook_secret, name="webhook_secret"),
    path("subscriptions/<str:token>", subscribe.manage, name="subscription"),
    path("notify/twilio/inbound", subscribe.twilio_inbound, name="twilio_inbound"),
    path("notify/twilio/status", subscribe.twilio_status, name="twilio_status"),
    # An audience's private copy, to its readers (public/audience_site.py).
    path("a/<slug:slug>/", audience_site.audience_site, name="audience_site"),
    path("a/<slug:slug>/<path:rest>", audience_site.audience_site, name="audience_site_page"),
]
