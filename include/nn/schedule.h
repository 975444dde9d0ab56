/* schedule.h: the learning rate of each optimiser step (train.schedule in the config).
 *   warmup (any schedule): step s < W (0-based) runs at rate * (s + 1) / W
 *   constant: rate = learning_rate
 *   plateau:  rate starts at learning_rate; after each epoch, when the monitored value has not
 *             improved by min_delta for plateau_patience epochs, rate = max(rate * plateau_factor,
 *             min_lr) and the count starts again (Keras ReduceLROnPlateau without cooldown)
 *   cosine:   after the warmup, p = (s - W) / (S - W) over the run's S steps, and
 *             rate = min_lr + (learning_rate - min_lr) (1 + cos(pi p)) / 2
 * The schedule's state (the plateau's rate, best value and count) is part of the training state, so
 * a resumed run takes the same rates. The rate is a function of the step and that state alone,
 * never of the rank. */
#ifndef GSEQ_SCHEDULE_H
#define GSEQ_SCHEDULE_H

#include "nn/config.h"

typedef struct {
    float lr;    /* plateau: the rate now, before warmup; else learning_rate */
    double best; /* plateau: the best monitored value so far (lower is better) */
    int bad;     /* plateau: epochs since it improved or the rate was last cut */
} ScheduleState;

const char *schedule_name(Schedule s);
/* The state before the first step. */
ScheduleState schedule_start(const TrainConfig *t);
/* The rate of step `step` (0-based) of a run of total_steps steps. */
float schedule_lr(const TrainConfig *t, const ScheduleState *s, long step, long total_steps);
/* After an epoch whose monitored value (lower is better) was `score`: updates the plateau's state;
 * returns 1 when it cut the rate. Other schedules: nothing. */
int schedule_epoch_end(const TrainConfig *t, ScheduleState *s, double score);

#endif
