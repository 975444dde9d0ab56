/* commands.h: one entry point per subcommand of gseq_mpi; main.c dispatches on argv[1].
 * Each returns the process exit status; argv[0] is the subcommand's name. */
#ifndef GSEQ_COMMANDS_H
#define GSEQ_COMMANDS_H

int cmd_info(int argc, char **argv);    /* src/cli/cmd_info.c */
int cmd_train(int argc, char **argv);   /* src/cli/cmd_train.c */
int cmd_cv(int argc, char **argv);      /* src/cli/cmd_cv.c */
int cmd_convert(int argc, char **argv); /* src/cli/cmd_convert.c */
int cmd_synth(int argc, char **argv);   /* src/cli/cmd_synth.c */
int cmd_eval(int argc, char **argv);    /* src/cli/cmd_eval.c */
int cmd_predict(int argc, char **argv); /* src/cli/cmd_predict.c */
int cmd_motifs(int argc, char **argv);  /* src/cli/cmd_motifs.c */
int cmd_mutagenesis(int argc, char **argv); /* src/cli/cmd_mutagenesis.c */
int cmd_attribute(int argc, char **argv);   /* src/cli/cmd_attribute.c */
int cmd_variants(int argc, char **argv); /* src/cli/cmd_variants.c */

#endif
