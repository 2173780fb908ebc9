from django.urls import path

app_name = "staff_api"
urlpatterns: list = []
