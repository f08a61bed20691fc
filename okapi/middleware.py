"""Response headers for every page, and the services' refusals as HTTP answers for pages."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from okapi.errors import Forbidden, Invalid, NotFound

# Everything Okapi serves is its own: no CDN, no inline script. Styles set from scripts
# through the CSSOM (Chart.js) are not affected by style-src.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):  # Swagger UI loads its own inline script
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class ServiceErrorsMiddleware:
    """A page that reaches a row of another workspace answers 404; a forbidden action 403; a
    refused change (Invalid) 422 with its reasons."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            raise Http404(str(exception))
        if isinstance(exception, Forbidden):
            raise PermissionDenied(str(exception))
        if isinstance(exception, Invalid):
            # A view that did not expect this refusal (its forms show theirs beside the field):
            # say what was refused rather than answer 500.
            back = request.headers.get("Referer", "")
            if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
                back = "/"
            context = {"errors": list(exception.errors.values()), "back": back}
            return render(request, "refused.html", context, status=422)
        return None
