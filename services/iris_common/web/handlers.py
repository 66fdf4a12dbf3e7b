"""Translates every exception that reaches the HTTP boundary into an error envelope."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from iris_common.contract.envelope import ErrorInfo
from iris_common.contract.error_codes import ErrorCode
from iris_common.errors import IrisError
from iris_common.web.responses import error_response

logger = logging.getLogger(__name__)


async def _iris_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IrisError)
    log = logger.warning if exc.http_status < 500 else logger.error
    log("%s %s: %s %s", request.method, request.url.path, exc.code.value, exc.message)
    return error_response(request, exc.to_info(), exc.http_status, headers=exc.headers)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "problem": err.get("msg", "")}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['field'] or 'body'}: {p['problem']}" for p in problems)
    logger.warning("%s %s: VAL001 %s", request.method, request.url.path, summary)
    info = ErrorInfo(
        code=ErrorCode.VALIDATION,
        message=f"invalid request: {summary}",
        details={"errors": problems},
        retryable=False,
    )
    return error_response(request, info, 422)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = ErrorCode.VALIDATION if exc.status_code < 500 else ErrorCode.GENERAL
    info = ErrorInfo(code=code, message=str(exc.detail), retryable=code.retryable)
    return error_response(request, info, exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("%s %s: unexpected error", request.method, request.url.path)
    info = ErrorInfo(
        code=ErrorCode.GENERAL,
        message=f"unexpected error: {type(exc).__name__}: {exc}",
        retryable=ErrorCode.GENERAL.retryable,
    )
    return error_response(request, info, 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IrisError, _iris_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(Exception, _unexpected)
