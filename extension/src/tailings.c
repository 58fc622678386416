/*
 * tailings.c - module entry: settings of the tailings extension.
 */
#include "tailings.h"

#include "utils/guc.h"

PG_MODULE_MAGIC;

int			tl_language = TL_LANG_ZH;
char	   *tl_actor = NULL;
bool		tl_tracking = true;

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
	MarkGUCPrefixReserved("tailings");
}
