from django.urls import path

app_name = "api_v2"
urlpatterns: list = []
