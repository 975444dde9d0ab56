/* vcf.c: VCF and BCF records streamed through htslib's vcf.h (bcf_read one record at a time). See
 * vcf.h. htslib's own log is switched off so that a bad file gives one line, ours. */
#include "data/vcf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/hts.h>
#include <htslib/hts_log.h>
#include <htslib/vcf.h>

struct VcfReader {
    char path[512];
    htsFile *fp;
    bcf_hdr_t *hdr;
    bcf1_t *rec;
    int64_t line;
};

VcfReader *vcf_reader_open(const char *path, Error *err)
{
    hts_set_log_level(HTS_LOG_OFF);
    VcfReader *r = xcalloc(1, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    r->fp = hts_open(path, "r");
    if (!r->fp) {
        error_set(err, "%s: cannot open: %s", path, errno ? strerror(errno) : "not readable");
        free(r);
        return NULL;
    }
    const htsFormat *fmt = hts_get_format(r->fp);
    if (fmt->category != variant_data || (fmt->format != vcf && fmt->format != bcf)) {
        char *what = hts_format_description(fmt); /* malloc'd */
        error_set(err, "%s: not a VCF or BCF file (htslib sees %s)", path, what ? what : "?");
        free(what);
        vcf_reader_close(r);
        return NULL;
    }
    r->hdr = bcf_hdr_read(r->fp);
    if (!r->hdr) {
        error_set(err, "%s: not a VCF file: no valid header (##fileformat=VCF... and #CHROM line)",
                  path);
        vcf_reader_close(r);
        return NULL;
    }
    r->rec = bcf_init();
    return r;
}

void vcf_reader_close(VcfReader *r)
{
    if (!r)
        return;
    if (r->rec)
        bcf_destroy(r->rec);
    if (r->hdr)
        bcf_hdr_destroy(r->hdr);
    if (r->fp)
        hts_close(r->fp);
    free(r);
}

int vcf_reader_next(VcfReader *r, VcfRecord *rec, Error *err)
{
    int rc = bcf_read(r->fp, r->hdr, r->rec);
    if (rc == -1)
        return 0;
    r->line++;
    if (rc < -1 || (r->rec->errcode & ~BCF_ERR_CTG_UNDEF) ||
        bcf_unpack(r->rec, BCF_UN_STR) != 0 || r->rec->n_allele < 1)
        return error_set(err, "%s: record %lld is not valid VCF (expected CHROM POS ID REF ALT ...)",
                         r->path, (long long)r->line + 0);
    const char *chrom = bcf_seqname(r->hdr, r->rec);
    if (!chrom)
        return error_set(err, "%s: record %lld: a chromosome the header does not name", r->path,
                         (long long)r->line);
    rec->chrom = chrom;
    rec->pos = (int64_t)r->rec->pos + 1;
    rec->id = r->rec->d.id ? r->rec->d.id : ".";
    rec->ref = r->rec->d.allele[0];
    rec->n_alt = r->rec->n_allele - 1;
    rec->alt = (const char *const *)(r->rec->d.allele + 1);
    rec->line = r->line;
    if (!vcf_allele_is_bases(rec->ref))
        return error_set(err, "%s: record %lld (%s:%lld): REF '%.40s' is not a sequence of bases",
                         r->path, (long long)r->line, chrom, (long long)rec->pos, rec->ref);
    return 1;
}

int vcf_allele_is_bases(const char *allele)
{
    if (!allele || !*allele)
        return 0;
    for (const char *p = allele; *p; p++)
        if (!strchr("ACGTNacgtn", *p))
            return 0;
    return 1;
}
