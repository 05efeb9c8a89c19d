package tag

import "strings"

// Outlets transliterate some names differently (Reuters' "Zelenskiy", AP's
// "Zelenskyy", the BBC's "Zelensky"); the entity tag is the same for all.
// One person a line: the label of the tag, then the other spellings. Every
// tag of the label's slug takes that label, however the article spelled the
// name (see labels.go). Only full names are listed: a surname alone is
// never an entity tag. Spellings that differ only in case, accents, hyphens
// or apostrophes need no line ("Kim Jong-un", "Recep Tayyip Erdogan") but
// for the label.
const nameVariantData = `
Volodymyr Zelensky|Volodymyr Zelenskiy,Volodymyr Zelenskyy,Volodymyr Zelenskyi,Volodymyr Zelenski,Vladimir Zelensky,Vladimir Zelenskiy,Vladimir Zelenskyy
Olena Zelenska|Olena Zelenskaya
Sergei Lavrov|Sergey Lavrov
Sergei Shoigu|Sergey Shoigu
Dmitry Peskov|Dmitri Peskov,Dmitriy Peskov
Dmitry Medvedev|Dmitri Medvedev,Dmitriy Medvedev
Yevgeny Prigozhin|Evgeny Prigozhin,Yevgeniy Prigozhin,Evgeniy Prigozhin
Alexei Navalny|Alexey Navalny,Aleksei Navalny,Aleksey Navalny,Alexei Navalnyy
Yulia Navalnaya|Yulia Navalnaia
Alexander Lukashenko|Aleksandr Lukashenko,Alyaksandr Lukashenka,Alexander Lukashenka
Ramzan Kadyrov|Ramzan Kadirov
Vitali Klitschko|Vitaly Klitschko,Vitaliy Klitschko
Denys Shmyhal|Denis Shmygal
Dmytro Kuleba|Dmitry Kuleba,Dmitro Kuleba
Oleksii Reznikov|Oleksiy Reznikov,Alexei Reznikov
Valery Gerasimov|Valeriy Gerasimov,Valeri Gerasimov
Muammar Gaddafi|Muammar Qaddafi,Muammar Gadhafi,Muammar al-Gaddafi,Muammar Kadhafi,Moammar Gadhafi,Moammar Qaddafi,Moamer Kadhafi
Khalifa Haftar|Khalifa Hifter
Mohammed bin Salman|Mohammad bin Salman,Muhammad bin Salman,Mohamed bin Salman
Mohammed bin Zayed|Mohamed bin Zayed,Mohammad bin Zayed,Muhammad bin Zayed
Bashar al-Assad|Bashar Assad,Bashar el-Assad
Abdel Fattah el-Sisi|Abdel Fattah al-Sisi,Abdel Fattah al-Sissi,Abdel Fattah el-Sissi,Abdel Fattah Sisi,Abdul Fattah al-Sisi
Ebrahim Raisi|Ibrahim Raisi,Ebrahim Raeisi
Ali Khamenei|Ali Hosseini Khamenei
Hassan Nasrallah|Hasan Nasrallah
Recep Tayyip Erdoğan|Tayyip Erdogan,Tayyip Erdoğan
Mahmoud Abbas|Mahmud Abbas
Ismail Haniyeh|Ismail Haniya,Ismail Haniyah
Benjamin Netanyahu|Binyamin Netanyahu
Moqtada al-Sadr|Muqtada al-Sadr,Moqtada Sadr,Muqtada Sadr
Kim Jong Un|Kim Jong Eun
Mao Zedong|Mao Tse-tung,Mao Tse Tung
Osama bin Laden|Usama bin Laden,Osama bin Ladin
`

type nameAlias struct{ slug, label string }

// nameAliases maps the key of a variant spelling (its folded words,
// space-separated, as takeRun builds it) to the tag of the usual spelling.
var nameAliases = func() map[string]nameAlias {
	m := map[string]nameAlias{}
	for line := range strings.Lines(nameVariantData) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		label, variants, ok := strings.Cut(line, "|")
		if !ok {
			panic("tag: bad name variant line " + line)
		}
		a := nameAlias{slug: Slug(label), label: label}
		for v := range strings.SplitSeq(variants, ",") {
			k := strings.Join(phraseTokens(v), " ")
			m[k] = a
			first, _, _ := strings.Cut(k, " ")
			lexicon.add(first, wordHash(first), lexVariant)
		}
	}
	return m
}()
