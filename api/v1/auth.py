"""`Authorization: Token <token>` (or `Bearer <token>`) for service accounts and users."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions

from layers.tokens import TokenRefused, user_for_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request: Any) -> tuple[Any, str] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization: Token <token>, one token")
        try:
            return user_for_token(header[1]), header[1]
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(
                {
                    "token_expired": "the token has expired",
                    "token_revoked": "the token was revoked",
                    "user_inactive": "the account is inactive",
                    "token_unscoped": "the token acts for no agency: issue a new one",
                    "token_agency_left": "the account has left the agency the token acts for",
                }.get(refused.reason, "the token is not valid"),
                code=refused.reason,
            ) from None

    def authenticate_header(self, request: Any) -> str:
        return 'Token realm="api"'
