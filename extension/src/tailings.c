/*
 * tailings.c - module entry: settings of the tailings extension.
 */
#include "tailings.h"

#include "utils/guc.h"

PG_MODULE_MAGIC;

int			tl_language = TL_LANG_ZH;
char	   *tl_actor = NULL;
bool		tl_tracking = true;
char	   *tl_submission_id = NULL;

static const struct config_enum_entry language_options[] = {
	{"zh", TL_LANG_ZH, false},
	{"en", TL_LANG_EN, false},
	{NULL, 0, false}
};

void		_PG_init(void);

/* tailings.submission_id: empty, or a submission's id (a positive bigint) */
static bool
check_submission_id(char **newval, void **extra, GucSource source)
{
	int64		id;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (!tl_parse_submission_id(*newval, &id))
	{
		GUC_check_errdetail("tailings.submission_id is empty or a submission's id, a positive integer.");
		return false;
	}
	return true;
}

bool
tl_parse_submission_id(const char *s, int64 *id)
{
	char	   *end;
	long long	v;

	if (s == NULL || s[0] < '1' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	*id = (int64) v;
	return true;
}

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
							   "Honoured for roles with the rights of tailings_app (applications "
							   "acting for people) and superusers only; otherwise a member's edits "
							   "name the member's display_name, and other roles' the session user.",
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
							   "Submission whose approval makes this transaction's changes.",
							   "Set transaction-locally by tailings.approve(); recorded in "
							   "change_log.submission_id. Empty for direct edits.",
							   &tl_submission_id,
							   "",
							   PGC_USERSET,
							   0,
							   check_submission_id, NULL, NULL);
	MarkGUCPrefixReserved("tailings");
	tl_track_init();
}

SPIPlanPtr
tl_keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes, int cursor_options)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, cursor_options);

		if (plan == NULL)
			elog(ERROR, "tailings: could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		*slot = plan;
	}
	return *slot;
}
