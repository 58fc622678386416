// The counties (区县) of the sample's city, by code: one table for the viewer and the printed sheet.
export const COUNTIES = {
  510402: { zh: '东区', en: 'Dong District' },
  510403: { zh: '西区', en: 'Xi District' },
  510411: { zh: '仁和区', en: 'Renhe District' },
  510421: { zh: '米易县', en: 'Miyi County' },
  510422: { zh: '盐边县', en: 'Yanbian County' },
};

// the county's name in lang ('zh' or 'en'); the code itself when it is not known
export const countyName = (code, lang = 'zh') => COUNTIES[code]?.[lang] ?? (code == null ? '' : String(code));
