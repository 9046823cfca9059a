"""BatchProcessingWorkflow: batch-eligible tasks on the Message Batches API at half price."""

from empathy_batch.requests import BatchRequest, load_batch_file
from empathy_batch.tasks import BATCH_ELIGIBLE_TASKS, BatchTask
from empathy_batch.workflow import BatchProcessingWorkflow, BatchTaskResult, UnknownBatchError

__all__ = [
    "BATCH_ELIGIBLE_TASKS",
    "BatchProcessingWorkflow",
    "BatchRequest",
    "BatchTask",
    "BatchTaskResult",
    "UnknownBatchError",
    "load_batch_file",
]
