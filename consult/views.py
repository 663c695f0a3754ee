from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from consult import rules
from consult.ratelimit import ratelimit_hit
from consult.security import client_ip

_login_view = auth_views.LoginView.as_view(template_name="consult/login.html")


def login(request: HttpRequest) -> HttpResponseBase:
    """Staff login. django-axes locks a username from one address after repeated failures;
    this caps every login post from one address, so one machine cannot try a common password
    on every username in turn (a 429 page with Retry-After, through DomainErrorMiddleware)."""
    if request.method == "POST":
        consult: dict[str, Any] = settings.CONSULT
        ratelimit_hit(
            scope="login-ip",
            identity=client_ip(request),
            limit=consult["LOGIN_POSTS_PER_IP_PER_HOUR"],
        )
    return _login_view(request)


def home(request: HttpRequest) -> HttpResponse:
    from consult.home import home_context

    return render(request, "consult/home.html", home_context())


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    rules.require(request.user, rules.VIEW_STAFF_AREA)
    return render(request, "consult/staff_home.html", {"role": rules.role_of(request.user)})
