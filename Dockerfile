# One image for web, worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CANDOR_VAR_DIR=/var/lib/candor \
    CANDOR_STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \
    && apt-get update -q && apt-get install -y -q --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN useradd --system --home /var/lib/candor candor \
    && mkdir -p /var/lib/candor && chown candor /var/lib/candor \
    && CANDOR_SECRET_KEY=build python manage.py collectstatic --noinput -v0 \
    && CANDOR_SECRET_KEY=build python manage.py compilemessages -v0
USER candor
EXPOSE 8000
CMD ["granian", "--interface", "wsgi", "statuspage.wsgi:application", "--host", "0.0.0.0", \
     "--port", "8000", "--workers", "2", "--blocking-threads", "8", "--no-ws"]
