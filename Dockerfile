FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY reviewapp ./reviewapp
COPY sampling ./sampling
COPY bench ./bench
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-cache-dir -e . \
 && DEBUG=False SECRET_KEY=build-only python manage.py collectstatic --no-input -v 0
RUN useradd --system --home /app spotcheck \
 && mkdir -p /srv/exports && chown spotcheck /srv/exports  # the exports volume takes this owner
USER spotcheck
EXPOSE 8000
CMD ["gunicorn", "reviewapp.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
