# Replaced by the drafts feature (issue 3); these two names keep the navigation resolvable.
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def draft_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "consult/error.html", {"status": 404, "error": {"message": "—"}}, status=404
    )


staff_draft_list = draft_list
