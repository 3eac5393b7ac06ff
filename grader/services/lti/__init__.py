"""LTI 1.3 / LTI Advantage, the tool's side: registered platforms and the tool's keys, launches
linked to accounts and courses, scores sent back to the platform's gradebook (an outbox),
deep linking and the roster. The protocol (JWT, OIDC, the services' HTTP) is ``pylti1p3``'s."""
