"""Background jobs of certificates; each takes ids and calls a service."""

from celery import shared_task

from . import services

RENDER_RETRIES = 5


@shared_task(
    bind=True,
    acks_late=True,  # a worker killed mid-render leaves the message to be delivered again
    reject_on_worker_lost=True,
    max_retries=RENDER_RETRIES,
)
def certificate_render_task(self, certificate_id: int) -> None:
    try:
        services.certificate_render(certificate_id=certificate_id)
    except OSError as error:  # storage could not be written: try again later
        final = self.request.retries >= RENDER_RETRIES
        services.certificate_render_failed(certificate_id=certificate_id, error=error, final=final)
        if final:
            raise
        raise self.retry(exc=error, countdown=2 ** (self.request.retries + 1)) from error
    except Exception as error:  # a fault that trying again will not cure: show it to admins
        services.certificate_render_failed(certificate_id=certificate_id, error=error, final=True)
        raise


@shared_task
def certificates_pending_sweep() -> int:
    return services.pending_sweep()


@shared_task
def certificate_archive_task(archive_id: int) -> None:
    services.archive_build(archive_id=archive_id)
