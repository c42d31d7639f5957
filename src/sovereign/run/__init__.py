"""Around every stage, knowing none: the job's entry point and its log (`entry`), the run lock
against concurrent and killed runs (`runlock`), what a failed run leaves and how it is cleared
(`leftovers`), the code digest that reruns a stage when its code changes (`codedeps`), what
keeps planning thousands of jobs cheap (`planning`), and a cancelled SLURM job failing rather
than hanging the run (`slurm_status`)."""

__all__ = ["codedeps", "entry", "leftovers", "planning", "runlock", "slurm_status"]
