from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("backup-codes/", views.new_backup_codes, name="backup_codes"),
    path("methods/", views.sign_in_methods, name="methods"),
    path("passkey/begin/", views.PasskeySignInBegin.as_view(), name="passkey_begin"),
    path("passkey/complete/", views.PasskeySignInComplete.as_view(), name="passkey_complete"),
    path("passkey/added/", views.passkey_added, name="passkey_added"),
    path("passkey/<int:pk>/remove/", views.passkey_remove, name="passkey_remove"),
]
