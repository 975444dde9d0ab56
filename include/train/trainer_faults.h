/* trainer_faults.h: the trainer's test hook, fault injection for the reliability tests only
 * (test_train.c, test_faults.c, test_slurm.sh run `gseq_mpi train` with GSEQ_FAULT_NAN_AT_STEP and
 * GSEQ_FAULT_STEP_SLEEP_MS, which cmd_train.c hands over here). Not part of the trainer's API: a
 * Trainer carries no test fields; the faults are the process's, set before training, none by
 * default. */
#ifndef GSEQ_TRAINER_FAULTS_H
#define GSEQ_TRAINER_FAULTS_H

typedef struct {
    long nan_at_step;  /* the loss of this step (1-based, counted over the whole run) becomes NaN */
    int step_sleep_ms; /* each step sleeps this long (so that signals land mid-run) */
} TrainerFaults;

/* The faults of every trainer_run after this call; NULL: none. */
void trainer_test_faults(const TrainerFaults *f);

#endif
