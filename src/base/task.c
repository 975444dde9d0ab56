/* task.c: the names of the tasks a model predicts (base/task.h), shared by the data files, the
 * configs and the checkpoints. */
#include <string.h>

#include "base/task.h"

const char *const task_names[TASK_COUNT] = {"auto", "binary", "multilabel", "multiclass", "regression"};

const char *task_name(Task t) { return t >= 0 && t < TASK_COUNT ? task_names[t] : "unknown"; }

int task_parse(const char *s, Task *t)
{
    for (int i = 0; i < TASK_COUNT; i++)
        if (strcmp(s, task_names[i]) == 0) {
            *t = (Task)i;
            return 0;
        }
    return -1;
}
