"""Page branding an Admin sets in the console or the staff API: the site's name, logo,
favicon, accent colours and support link (models.Branding, one row).

`service.branding_set` checks and stores it; `brand.current_brand` is what every page, the
generated stylesheet and the static snapshot read.
"""
