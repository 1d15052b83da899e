from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("backup-codes/", views.new_backup_codes, name="backup_codes"),
]
