"""The tool's RSA key pair: made once, kept in the database; only the public half is served."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.registration import Registration
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.db import LtiKey

KEY_BITS = 2048


def tool_key(session: Session) -> LtiKey:
    """The tool's key pair, made on first use (two processes racing keep the first made)."""
    key = session.scalar(select(LtiKey).order_by(LtiKey.id).limit(1))
    if key is not None:
        return key
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    kid = Registration.get_jwk(public_pem)["kid"]  # the key's thumbprint, as pylti1p3 names it
    try:
        session.add(LtiKey(kid=kid, private_pem=private_pem, public_pem=public_pem))
        session.commit()
    except IntegrityError:
        session.rollback()
    return session.scalar(select(LtiKey).order_by(LtiKey.id).limit(1))


def public_key_set(session: Session) -> dict:
    """The JSON Web Key Set platforms verify the tool's messages with: public halves only."""
    return {"keys": [dict(Registration.get_jwk(tool_key(session).public_pem))]}
