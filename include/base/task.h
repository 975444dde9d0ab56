/* task.h: what a model predicts, shared by data files, configs and models.
 * TASK_AUTO appears only in configs ("take it from the data"); a data file always names one of the
 * others. Binary, multilabel and multiclass labels lie in [0, 1]; regression labels are any finite
 * values (signal, counts). */
#ifndef GSEQ_TASK_H
#define GSEQ_TASK_H

typedef enum { TASK_AUTO, TASK_BINARY, TASK_MULTILABEL, TASK_MULTICLASS, TASK_REGRESSION, TASK_COUNT } Task;

extern const char *const task_names[TASK_COUNT]; /* indexed by Task */

const char *task_name(Task t);      /* "auto", "binary", "multilabel", "multiclass", "regression" */
int task_parse(const char *s, Task *t); /* 0, or -1 if s is none of those names */

#endif
