"""API and Open311 clients read every error in their own format, never the HTML error page meant
for browsers: a bug (500), the database gone (503), a URL that is not there (404), a body too
large (400) — whatever produced an HTML error page under /api/ or /open311/ is answered again, with
the same status, as {"detail", "errors"} (the REST API's shape, zhengwu.api.errors) or as the
GeoReport error list. Django has logged the failure already; the message says what to do."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from zhengwu.appeals.open311_format import error as open311_error

MESSAGES = {
    400: "请求格式不正确，请检查后重试",
    401: "请先登录或提供有效的 API 密钥",
    403: "无权访问该接口",
    404: "没有找到该接口或对象，请检查地址",
    405: "不支持该请求方法",
    413: "请求体过大",
}
SERVER_ERROR = "服务器内部错误，请稍后重试；如问题持续，请联系平台管理员（政务服务热线 12345）"
UNAVAILABLE = "服务暂时不可用（维护中），请稍后重试"


def message_for(status: int) -> str:
    if status == 503:
        return UNAVAILABLE
    if status >= 500:
        return SERVER_ERROR
    return MESSAGES.get(status, "请求未能完成")


class ApiErrorFormatMiddleware:
    """Outermost, so that it also sees the error pages of the middleware inside it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not response.get("Content-Type", "").startswith("text/html"):
            return response
        path = request.path_info
        status = response.status_code
        if path.startswith("/api/"):
            replaced: HttpResponse = JsonResponse(
                {"detail": message_for(status), "errors": {}},
                status=status,
                json_dumps_params={"ensure_ascii": False},
            )
        elif path.startswith("/open311/"):
            replaced = open311_error("xml" if path.endswith(".xml") else "json", status, message_for(status))
        else:
            return response
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replaced[header] = response[header]
        return replaced
