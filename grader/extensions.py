"""Extensions created unbound here and bound to the app in the factory (the rate limiter is
made per app in ``grader.web.limits``: its storage belongs to one app)."""

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from grader.db import Database

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
