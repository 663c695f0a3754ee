from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from consult import rules


def home(request: HttpRequest) -> HttpResponse:
    from consult.home import home_context

    return render(request, "consult/home.html", home_context())


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    rules.require(request.user, rules.VIEW_STAFF_AREA)
    return render(request, "consult/staff_home.html", {"role": rules.role_of(request.user)})
