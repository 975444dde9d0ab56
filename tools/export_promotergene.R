#!/usr/bin/env Rscript
# export_promotergene.R: the UCI "promoter gene sequences" set as R's kernlab ships it
# (data(promotergene): 106 E. coli sequences of 57 bp, 53 promoters and 53 not; Debian package
# r-cran-kernlab) into FASTA and a labels TSV that `gseq_mpi convert --fasta ... --labels ...` reads:
#   Rscript tools/export_promotergene.R OUT_PREFIX   ->  OUT_PREFIX.fa, OUT_PREFIX.tsv
# Columns 2..58 of the data frame are the bases (factors a c g t); column 1 is Class, + or -.
# The TSV's one target, promoter, is 1 for + and 0 for -. Row names give the ids (p1, p2, ...).
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) {
  message("usage: Rscript tools/export_promotergene.R OUT_PREFIX")
  quit(status = 2)
}
if (!requireNamespace("kernlab", quietly = TRUE)) {
  message("export_promotergene.R: the R package kernlab is missing (Debian: apt-get install r-cran-kernlab)")
  quit(status = 1)
}
data("promotergene", package = "kernlab", envir = environment())
d <- promotergene
if (nrow(d) != 106 || ncol(d) != 58)
  stop(sprintf("promotergene: expected 106 rows and 58 columns, found %d and %d", nrow(d), ncol(d)))
bases <- apply(as.matrix(d[, 2:58]), 1, function(r) toupper(paste(r, collapse = "")))
ids <- sprintf("s%03d", seq_len(nrow(d)))
label <- ifelse(as.character(d$Class) == "+", 1L, 0L)
fa <- paste0(args[1], ".fa")
tsv <- paste0(args[1], ".tsv")
writeLines(c(rbind(paste0(">", ids), bases)), fa)
write.table(data.frame(id = ids, promoter = label), tsv, sep = "\t", quote = FALSE, row.names = FALSE)
message(sprintf("%s, %s: %d sequences of %d bp, %d promoters", fa, tsv, nrow(d), nchar(bases[1]), sum(label)))
