# The grader's image: one image for the migrate, web and worker services of docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRADER_INSTANCE_DIR=/var/lib/grader

WORKDIR /src
# The locked runtime dependencies first (a layer that changes only with the lock), then the
# package itself without resolving its dependencies again.
COPY requirements/runtime.lock ./requirements/runtime.lock
RUN pip install -r requirements/runtime.lock
COPY pyproject.toml setup.py README.md ./
COPY grader ./grader
COPY exercises ./exercises
COPY migrations ./migrations
RUN pip install --no-deps . \
    && pip check \
    && useradd --system --create-home --home-dir /home/grader grader \
    && mkdir -p /var/lib/grader \
    && chown grader:grader /var/lib/grader \
    && rm -rf /src

USER grader
WORKDIR /home/grader
EXPOSE 8000
CMD ["grader", "web", "--host", "0.0.0.0", "--port", "8000"]
