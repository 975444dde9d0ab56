/* schedule.c: learning-rate schedules, step by step. See schedule.h. */
#include "nn/schedule.h"

#include <math.h>

static const double PI = 3.14159265358979323846;

const char *schedule_name(Schedule s)
{
    static const char *const names[] = {"constant", "plateau", "cosine"};
    return s >= SCHEDULE_CONSTANT && s <= SCHEDULE_COSINE ? names[s] : "?";
}

ScheduleState schedule_start(const TrainConfig *t)
{
    return (ScheduleState){.lr = t->adam.lr, .best = INFINITY, .bad = 0};
}

float schedule_lr(const TrainConfig *t, const ScheduleState *s, long step, long total_steps)
{
    double base = t->adam.lr, lo = t->min_lr < base ? t->min_lr : base;
    long W = t->warmup_steps;
    if (t->schedule == SCHEDULE_PLATEAU)
        base = s->lr;
    else if (t->schedule == SCHEDULE_COSINE && step >= W) {
        double span = total_steps - W > 0 ? (double)(total_steps - W) : 1.0;
        double p = (double)(step - W) / span;
        base = lo + (base - lo) * 0.5 * (1.0 + cos(PI * (p < 1.0 ? p : 1.0)));
    }
    if (step < W)
        base *= (double)(step + 1) / (double)W;
    return (float)base;
}

int schedule_epoch_end(const TrainConfig *t, ScheduleState *s, double score)
{
    if (t->schedule != SCHEDULE_PLATEAU)
        return 0;
    if (isfinite(score) && score < s->best - t->min_delta) {
        s->best = score;
        s->bad = 0;
        return 0;
    }
    if (++s->bad < t->plateau_patience)
        return 0;
    s->bad = 0;
    float cut = s->lr * t->plateau_factor, least = t->min_lr;
    if (s->lr <= least)
        return 0;
    s->lr = cut > least ? cut : least;
    return 1;
}
