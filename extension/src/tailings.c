/*
 * tailings.c - module entry: settings of the tailings extension.
 */
#include "tailings.h"

#include "utils/guc.h"

PG_MODULE_MAGIC;

int			tl_language = TL_LANG_ZH;
char	   *tl_actor = NULL;
bool		tl_tracking = true;

/* [[interface from branch rls: the lead takes branch rls's version at merge]] */
char	   *tl_submission_id = NULL;

/* tailings.submission_id: empty, or a submission's id */
static bool
check_submission_id(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;

	if (s == NULL || s[0] == '\0')
		return true;
	for (const char *c = s; *c; c++)
		if (*c < '0' || *c > '9' || c - s > 18)
		{
			GUC_check_errdetail("tailings.submission_id is empty or the id of a submission.");
			return false;
		}
	return true;
}

static const struct config_enum_entry language_options[] = {
	{"zh", TL_LANG_ZH, false},
	{"en", TL_LANG_EN, false},
	{NULL, 0, false}
};

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomEnumVariable("tailings.language",
							 "Language of element labels and check messages.",
							 "zh (Chinese, the default) or en (English).",
							 &tl_language,
							 TL_LANG_ZH,
							 language_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("tailings.actor",
							   "Person recorded in the change log for this session's edits.",
							   "When empty, the session user is recorded. Set it when an "
							   "application shares one database login among its users.",
							   &tl_actor,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("tailings.tracking",
							 "Whether changes of tracked tables are written to the change log.",
							 "Only a superuser can turn it off: an edit made with it off has no history.",
							 &tl_tracking,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("tailings.submission_id",
							   "The submission whose approval makes this transaction's changes.",
							   "Set by tailings.approve() (transaction-local); the change log "
							   "records it with each change.",
							   &tl_submission_id,
							   "",
							   PGC_USERSET,
							   0,
							   check_submission_id, NULL, NULL);
	MarkGUCPrefixReserved("tailings");
}
