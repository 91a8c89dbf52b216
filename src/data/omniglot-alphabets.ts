// The 50 Omniglot alphabets: set, folder name, first global character id and character count (Lake et al. 2015).

/** One alphabet of Omniglot: characters `firstId .. firstId + count - 1` (global ids as in the file names `XXXX_YY.png`). */
export interface OmniglotAlphabet {
  set: 'background' | 'evaluation';
  name: string;
  firstId: number;
  count: number;
}

/**
 * The alphabet table of the official release, in global-id order (background ids 1–964, evaluation 965–1623).
 * Character `characterNN` of an alphabet has global id `firstId + NN − 1`.
 */
export const OMNIGLOT_ALPHABETS: readonly OmniglotAlphabet[] = [
  { set: 'background', name: 'Arcadian', firstId: 1, count: 26 },
  { set: 'background', name: 'Armenian', firstId: 27, count: 41 },
  { set: 'background', name: 'Asomtavruli_(Georgian)', firstId: 68, count: 40 },
  { set: 'background', name: 'Balinese', firstId: 108, count: 24 },
  { set: 'background', name: 'Bengali', firstId: 132, count: 46 },
  { set: 'background', name: 'Blackfoot_(Canadian_Aboriginal_Syllabics)', firstId: 178, count: 14 },
  { set: 'background', name: 'Braille', firstId: 192, count: 26 },
  { set: 'background', name: 'Cyrillic', firstId: 218, count: 33 },
  { set: 'background', name: 'Early_Aramaic', firstId: 251, count: 22 },
  { set: 'background', name: 'Syriac_(Estrangelo)', firstId: 273, count: 23 },
  { set: 'background', name: 'Anglo-Saxon_Futhorc', firstId: 296, count: 29 },
  { set: 'background', name: 'Futurama', firstId: 325, count: 26 },
  { set: 'background', name: 'Grantha', firstId: 351, count: 43 },
  { set: 'background', name: 'Greek', firstId: 394, count: 24 },
  { set: 'background', name: 'Gujarati', firstId: 418, count: 48 },
  { set: 'background', name: 'Hebrew', firstId: 466, count: 22 },
  { set: 'background', name: 'Japanese_(hiragana)', firstId: 488, count: 52 },
  { set: 'background', name: 'Inuktitut_(Canadian_Aboriginal_Syllabics)', firstId: 540, count: 16 },
  { set: 'background', name: 'Malay_(Jawi_-_Arabic)', firstId: 556, count: 40 },
  { set: 'background', name: 'Japanese_(katakana)', firstId: 596, count: 47 },
  { set: 'background', name: 'Korean', firstId: 643, count: 40 },
  { set: 'background', name: 'Latin', firstId: 683, count: 26 },
  { set: 'background', name: 'Alphabet_of_the_Magi', firstId: 709, count: 20 },
  { set: 'background', name: 'Mkhedruli_(Georgian)', firstId: 729, count: 41 },
  { set: 'background', name: 'Burmese_(Myanmar)', firstId: 770, count: 34 },
  { set: 'background', name: 'N_Ko', firstId: 804, count: 33 },
  { set: 'background', name: 'Ojibwe_(Canadian_Aboriginal_Syllabics)', firstId: 837, count: 14 },
  { set: 'background', name: 'Sanskrit', firstId: 851, count: 42 },
  { set: 'background', name: 'Tagalog', firstId: 893, count: 17 },
  { set: 'background', name: 'Tifinagh', firstId: 910, count: 55 },
  { set: 'evaluation', name: 'Angelic', firstId: 965, count: 20 },
  { set: 'evaluation', name: 'Atemayar_Qelisayer', firstId: 985, count: 26 },
  { set: 'evaluation', name: 'Atlantean', firstId: 1011, count: 26 },
  { set: 'evaluation', name: 'Aurek-Besh', firstId: 1037, count: 26 },
  { set: 'evaluation', name: 'Avesta', firstId: 1063, count: 26 },
  { set: 'evaluation', name: 'Ge_ez', firstId: 1089, count: 26 },
  { set: 'evaluation', name: 'Glagolitic', firstId: 1115, count: 45 },
  { set: 'evaluation', name: 'Gurmukhi', firstId: 1160, count: 45 },
  { set: 'evaluation', name: 'Kannada', firstId: 1205, count: 41 },
  { set: 'evaluation', name: 'Keble', firstId: 1246, count: 26 },
  { set: 'evaluation', name: 'Malayalam', firstId: 1272, count: 47 },
  { set: 'evaluation', name: 'Manipuri', firstId: 1319, count: 40 },
  { set: 'evaluation', name: 'Mongolian', firstId: 1359, count: 30 },
  { set: 'evaluation', name: 'Old_Church_Slavonic_(Cyrillic)', firstId: 1389, count: 45 },
  { set: 'evaluation', name: 'Oriya', firstId: 1434, count: 46 },
  { set: 'evaluation', name: 'Syriac_(Serto)', firstId: 1480, count: 23 },
  { set: 'evaluation', name: 'Sylheti', firstId: 1503, count: 28 },
  { set: 'evaluation', name: 'Tengwar', firstId: 1531, count: 25 },
  { set: 'evaluation', name: 'Tibetan', firstId: 1556, count: 42 },
  { set: 'evaluation', name: 'ULOG', firstId: 1598, count: 26 },
];
