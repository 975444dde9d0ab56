/* cmd_train.c: placeholder until the training issue lands. */
#include <stdio.h>

#include "commands.h"

int cmd_train(int argc, char **argv)
{
    fprintf(stderr, "gseq_mpi train: not built yet\n");
    return 1;
}
