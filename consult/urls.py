from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from consult import preferences, views
from consult.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff-home"),
    # Throttled twice: django-axes locks a username+address pair after repeated failures
    # (AXES_* settings), and views.login caps login posts per address (password spraying).
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("preferences/text-size/", preferences.text_size_set, name="text-size"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("livechat.urls")),
    path("", include("moderation.urls")),
    path("", include("drafts.urls")),
]

# Error pages that never show a trace (consult/security.py); the API answers in JSON.
handler400 = "consult.security.bad_request"
handler403 = "consult.security.permission_denied"
handler404 = "consult.security.page_not_found"
handler500 = "consult.security.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
