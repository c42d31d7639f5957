"""Around every stage, knowing none: the job's entry point and its log (`entry`), the run lock
against concurrent and killed runs (`runlock`), what a failed run leaves and how it is cleared
(`leftovers`), and the code digest that reruns a stage when its code changes (`codedeps`)."""

__all__ = ["codedeps", "entry", "leftovers", "runlock"]
