package tag

import (
	"slices"
	"strings"
)

// The built-in gazetteer: every UN member state plus Taiwan, Kosovo and
// Palestine, with name variants, adjectives and demonyms, capitals and a few
// other newsworthy places. One country a line:
//
//	slug|Label|names|adjectives and demonyms|capitals and places
//
// Lists are comma-separated. A variant written in capitals only ("US",
// "DPRK") matches only when written in capitals or dotted ("U.S."); other
// variants match only when each word written with a capital is capitalised in
// the text. Prefixes:
//
//	~  only standalone: not next to another capitalised word ("Washington
//	   Post", "Paris Hilton", "Latin America"), nor after "of"+capital
//	?  weak: counts only if a non-weak entry names the same country
//	^  not as the first word of a sentence ("Polish the ...")
//
// Adjectives and demonyms are not matched after a capitalised word either
// ("Dawn French", "Native American").
//
// Ambiguous bare names are left out on purpose: "Korea", "Korean", "Congo",
// "Congolese", "Guinean", "Jerusalem", "Sofia", "Victoria", "Male".
const gazetteerData = `
afghanistan|Afghanistan|Afghanistan|Afghan,Afghans|Kabul
albania|Albania|Albania|Albanian,Albanians|Tirana
algeria|Algeria|Algeria|Algerian,Algerians|Algiers
andorra|Andorra|Andorra|Andorran,Andorrans|Andorra la Vella
angola|Angola|Angola|Angolan,Angolans|Luanda
antigua-and-barbuda|Antigua and Barbuda|Antigua and Barbuda,Antigua|Antiguan,Antiguans|
argentina|Argentina|Argentina|Argentine,Argentines,Argentinian,Argentinians|Buenos Aires
armenia|Armenia|Armenia|Armenian,Armenians|Yerevan
australia|Australia|Australia|Australian,Australians|Canberra
austria|Austria|Austria|Austrian,Austrians|Vienna
azerbaijan|Azerbaijan|Azerbaijan|Azerbaijani,Azerbaijanis,Azeri,Azeris|Baku
bahamas|Bahamas|Bahamas|Bahamian,Bahamians|~Nassau
bahrain|Bahrain|Bahrain|Bahraini,Bahrainis|Manama
bangladesh|Bangladesh|Bangladesh|Bangladeshi,Bangladeshis|Dhaka
barbados|Barbados|Barbados|Barbadian,Barbadians|Bridgetown
belarus|Belarus|Belarus|Belarusian,Belarusians|Minsk
belgium|Belgium|Belgium|Belgian,Belgians|Brussels
belize|Belize|Belize|Belizean,Belizeans|Belmopan
benin|Benin|Benin|Beninese|Porto-Novo,Cotonou
bhutan|Bhutan|Bhutan|Bhutanese|Thimphu
bolivia|Bolivia|Bolivia|Bolivian,Bolivians|La Paz,Sucre
bosnia-and-herzegovina|Bosnia and Herzegovina|Bosnia and Herzegovina,Bosnia-Herzegovina,Bosnia|Bosnian,Bosnians|Sarajevo
botswana|Botswana|Botswana|Botswanan,Batswana|Gaborone
brazil|Brazil|Brazil|Brazilian,Brazilians|Brasilia
brunei|Brunei|Brunei|Bruneian,Bruneians|Bandar Seri Begawan
bulgaria|Bulgaria|Bulgaria|Bulgarian,Bulgarians|
burkina-faso|Burkina Faso|Burkina Faso|Burkinabe|Ouagadougou
burundi|Burundi|Burundi|Burundian,Burundians|Gitega,Bujumbura
cabo-verde|Cabo Verde|Cabo Verde,Cape Verde|Cape Verdean,Cape Verdeans|Praia
cambodia|Cambodia|Cambodia|Cambodian,Cambodians|Phnom Penh
cameroon|Cameroon|Cameroon|Cameroonian,Cameroonians|Yaounde
canada|Canada|Canada|Canadian,Canadians|Ottawa
central-african-republic|Central African Republic|Central African Republic|Central African|Bangui
chad|Chad|~Chad|Chadian,Chadians|N'Djamena
chile|Chile|Chile|Chilean,Chileans|~Santiago
china|China|China,People's Republic of China,PRC,Mainland China|Chinese|Beijing
colombia|Colombia|Colombia|Colombian,Colombians|Bogota
comoros|Comoros|Comoros|Comorian,Comorians|~Moroni
dr-congo|DR Congo|DR Congo,DRC,Democratic Republic of the Congo,Democratic Republic of Congo,Congo-Kinshasa||Kinshasa
republic-of-the-congo|Republic of the Congo|Republic of the Congo,Republic of Congo,Congo-Brazzaville||Brazzaville
costa-rica|Costa Rica|Costa Rica|Costa Rican,Costa Ricans|~San Jose
cote-divoire|Côte d'Ivoire|Côte d'Ivoire,Ivory Coast|Ivorian,Ivorians|Yamoussoukro,Abidjan
croatia|Croatia|Croatia|Croatian,Croatians,Croat,Croats|Zagreb
cuba|Cuba|Cuba|Cuban,Cubans|Havana
cyprus|Cyprus|Cyprus|Cypriot,Cypriots|Nicosia
czechia|Czechia|Czechia,Czech Republic|Czech,Czechs|Prague
denmark|Denmark|Denmark|Danish,?Dane,?Danes|Copenhagen
djibouti|Djibouti|Djibouti|Djiboutian,Djiboutians|
dominica|Dominica|Dominica||Roseau
dominican-republic|Dominican Republic|Dominican Republic|Dominican,Dominicans|Santo Domingo
ecuador|Ecuador|Ecuador|Ecuadorian,Ecuadorians,Ecuadorean,Ecuadoreans|Quito
egypt|Egypt|Egypt|Egyptian,Egyptians|Cairo
el-salvador|El Salvador|El Salvador|Salvadoran,Salvadorans,Salvadorean,Salvadoreans|San Salvador
equatorial-guinea|Equatorial Guinea|Equatorial Guinea|Equatoguinean,Equatorial Guinean|Malabo
eritrea|Eritrea|Eritrea|Eritrean,Eritreans|Asmara
estonia|Estonia|Estonia|Estonian,Estonians|Tallinn
eswatini|Eswatini|Eswatini,Swaziland|Swazi,Swazis|Mbabane
ethiopia|Ethiopia|Ethiopia|Ethiopian,Ethiopians|Addis Ababa
fiji|Fiji|Fiji|Fijian,Fijians|Suva
finland|Finland|Finland|Finnish,?Finns|Helsinki
france|France|France|French,Frenchman,Frenchwoman|~Paris,Elysee,Élysée
gabon|Gabon|Gabon|Gabonese|Libreville
gambia|Gambia|Gambia,The Gambia|Gambian,Gambians|Banjul
georgia|Georgia|?~Georgia|?Georgian,?Georgians|Tbilisi
germany|Germany|Germany|German,Germans|~Berlin
ghana|Ghana|Ghana|Ghanaian,Ghanaians|Accra
greece|Greece|Greece|Greek,Greeks|~Athens
grenada|Grenada|Grenada|Grenadian,Grenadians|
guatemala|Guatemala|Guatemala|Guatemalan,Guatemalans|Guatemala City
guinea|Guinea|~Guinea,Guinea-Conakry||Conakry
guinea-bissau|Guinea-Bissau|Guinea-Bissau|Bissau-Guinean|Bissau
guyana|Guyana|Guyana|Guyanese|
haiti|Haiti|Haiti|Haitian,Haitians|Port-au-Prince
honduras|Honduras|Honduras|Honduran,Hondurans|Tegucigalpa
hungary|Hungary|Hungary|Hungarian,Hungarians|Budapest
iceland|Iceland|Iceland|Icelandic,Icelander,Icelanders|Reykjavik
india|India|India|Indian,Indians|New Delhi,Delhi,Mumbai
indonesia|Indonesia|Indonesia|Indonesian,Indonesians|Jakarta
iran|Iran|Iran,Islamic Republic of Iran|Iranian,Iranians|Tehran
iraq|Iraq|Iraq|Iraqi,Iraqis|Baghdad
ireland|Ireland|Ireland,Republic of Ireland,Eire|Irish|~Dublin
israel|Israel|Israel|Israeli,Israelis|Tel Aviv
italy|Italy|Italy|Italian,Italians|~Rome
jamaica|Jamaica|Jamaica|Jamaican,Jamaicans|~Kingston
japan|Japan|Japan|Japanese|Tokyo
jordan|Jordan|~Jordan|Jordanian,Jordanians|Amman
kazakhstan|Kazakhstan|Kazakhstan|Kazakh,Kazakhs,Kazakhstani|Astana
kenya|Kenya|Kenya|Kenyan,Kenyans|Nairobi
kiribati|Kiribati|Kiribati||Tarawa
kuwait|Kuwait|Kuwait|Kuwaiti,Kuwaitis|Kuwait City
kyrgyzstan|Kyrgyzstan|Kyrgyzstan|Kyrgyz|Bishkek
laos|Laos|Laos,Lao PDR|Laotian,Laotians|Vientiane
latvia|Latvia|Latvia|Latvian,Latvians|Riga
lebanon|Lebanon|Lebanon|Lebanese|Beirut
lesotho|Lesotho|Lesotho|Basotho|Maseru
liberia|Liberia|Liberia|Liberian,Liberians|Monrovia
libya|Libya|Libya|Libyan,Libyans|Tripoli
liechtenstein|Liechtenstein|Liechtenstein||Vaduz
lithuania|Lithuania|Lithuania|Lithuanian,Lithuanians|Vilnius
luxembourg|Luxembourg|Luxembourg|Luxembourgish,Luxembourger,Luxembourgers|
madagascar|Madagascar|Madagascar|Malagasy|Antananarivo
malawi|Malawi|Malawi|Malawian,Malawians|Lilongwe
malaysia|Malaysia|Malaysia|Malaysian,Malaysians|Kuala Lumpur
maldives|Maldives|Maldives|Maldivian,Maldivians|
mali|Mali|~Mali|Malian,Malians|Bamako
malta|Malta|Malta|Maltese|Valletta
marshall-islands|Marshall Islands|Marshall Islands|Marshallese|Majuro
mauritania|Mauritania|Mauritania|Mauritanian,Mauritanians|Nouakchott
mauritius|Mauritius|Mauritius|Mauritian,Mauritians|Port Louis
mexico|Mexico|Mexico|Mexican,Mexicans|Mexico City
micronesia|Micronesia|Micronesia,Federated States of Micronesia|Micronesian|Palikir
moldova|Moldova|Moldova|Moldovan,Moldovans|Chisinau
monaco|Monaco|Monaco|Monegasque|
mongolia|Mongolia|Mongolia|Mongolian,Mongolians|Ulaanbaatar,Ulan Bator
montenegro|Montenegro|Montenegro|Montenegrin,Montenegrins|Podgorica
morocco|Morocco|Morocco|Moroccan,Moroccans|Rabat
mozambique|Mozambique|Mozambique|Mozambican,Mozambicans|Maputo
myanmar|Myanmar|Myanmar,Burma|Burmese|Naypyidaw,Naypyitaw,Yangon
namibia|Namibia|Namibia|Namibian,Namibians|Windhoek
nauru|Nauru|Nauru|Nauruan|
nepal|Nepal|Nepal|Nepali,Nepalese|Kathmandu
netherlands|Netherlands|Netherlands,The Netherlands,Holland|Dutch|Amsterdam,The Hague
new-zealand|New Zealand|New Zealand|New Zealander,New Zealanders|~Wellington
nicaragua|Nicaragua|Nicaragua|Nicaraguan,Nicaraguans|Managua
niger|Niger|~Niger|Nigerien,Nigeriens|Niamey
nigeria|Nigeria|Nigeria|Nigerian,Nigerians|Abuja,Lagos
north-korea|North Korea|North Korea,DPRK,Democratic People's Republic of Korea|North Korean,North Koreans|Pyongyang
north-macedonia|North Macedonia|North Macedonia,Macedonia|Macedonian,Macedonians|Skopje
norway|Norway|Norway|Norwegian,Norwegians|Oslo
oman|Oman|Oman|Omani,Omanis|Muscat
pakistan|Pakistan|Pakistan|Pakistani,Pakistanis|Islamabad
palau|Palau|Palau|Palauan|Ngerulmud
palestine|Palestine|Palestine,State of Palestine,Palestinian Territories,Palestinian territories|Palestinian,Palestinians|Gaza,Gaza Strip,West Bank,Ramallah
panama|Panama|~Panama|Panamanian,Panamanians|Panama City
papua-new-guinea|Papua New Guinea|Papua New Guinea,PNG|Papua New Guinean|Port Moresby
paraguay|Paraguay|Paraguay|Paraguayan,Paraguayans|Asuncion
peru|Peru|Peru|Peruvian,Peruvians|Lima
philippines|Philippines|Philippines,The Philippines|Philippine,Filipino,Filipinos,Filipina|Manila
poland|Poland|Poland|^Polish,Pole,Poles|Warsaw
portugal|Portugal|Portugal|Portuguese|Lisbon
qatar|Qatar|Qatar|Qatari,Qataris|Doha
romania|Romania|Romania|Romanian,Romanians|Bucharest
russia|Russia|Russia,Russian Federation|Russian,Russians|Moscow,Kremlin
rwanda|Rwanda|Rwanda|Rwandan,Rwandans|Kigali
saint-kitts-and-nevis|Saint Kitts and Nevis|Saint Kitts and Nevis,St Kitts and Nevis|Kittitian|Basseterre
saint-lucia|Saint Lucia|Saint Lucia,St Lucia|Saint Lucian,St Lucian|Castries
saint-vincent-and-the-grenadines|Saint Vincent and the Grenadines|Saint Vincent and the Grenadines,St Vincent and the Grenadines|Vincentian|Kingstown
samoa|Samoa|Samoa|Samoan,Samoans|Apia
san-marino|San Marino|San Marino|Sammarinese|
sao-tome-and-principe|São Tomé and Príncipe|São Tomé and Príncipe,Sao Tome and Principe||
saudi-arabia|Saudi Arabia|Saudi Arabia,Saudi|Saudi,Saudis|Riyadh
senegal|Senegal|Senegal|Senegalese|Dakar
serbia|Serbia|Serbia|Serbian,Serbians,Serb,Serbs|Belgrade
seychelles|Seychelles|Seychelles|Seychellois|
sierra-leone|Sierra Leone|Sierra Leone|Sierra Leonean,Sierra Leoneans|Freetown
singapore|Singapore|Singapore|Singaporean,Singaporeans|
slovakia|Slovakia|Slovakia|Slovak,Slovaks|Bratislava
slovenia|Slovenia|Slovenia|Slovenian,Slovenians,Slovene,Slovenes|Ljubljana
solomon-islands|Solomon Islands|Solomon Islands|Solomon Islander|Honiara
somalia|Somalia|Somalia|Somali,Somalis|Mogadishu
south-africa|South Africa|South Africa|South African,South Africans|Pretoria,Cape Town,Johannesburg
south-korea|South Korea|South Korea,Republic of Korea|South Korean,South Koreans|Seoul
south-sudan|South Sudan|South Sudan|South Sudanese|Juba
spain|Spain|Spain|Spanish,Spaniard,Spaniards|Madrid
sri-lanka|Sri Lanka|Sri Lanka|Sri Lankan,Sri Lankans|Colombo
sudan|Sudan|Sudan|Sudanese|Khartoum
suriname|Suriname|Suriname|Surinamese|Paramaribo
sweden|Sweden|Sweden|Swedish,Swede,Swedes|Stockholm
switzerland|Switzerland|Switzerland|Swiss|Bern
syria|Syria|Syria|Syrian,Syrians|Damascus
tajikistan|Tajikistan|Tajikistan|Tajik,Tajiks|Dushanbe
tanzania|Tanzania|Tanzania|Tanzanian,Tanzanians|Dodoma,Dar es Salaam
thailand|Thailand|Thailand|Thai,Thais|Bangkok
timor-leste|Timor-Leste|Timor-Leste,East Timor|Timorese|Dili
togo|Togo|Togo|Togolese|Lome
tonga|Tonga|Tonga|Tongan,Tongans|Nuku'alofa
trinidad-and-tobago|Trinidad and Tobago|Trinidad and Tobago,Trinidad|Trinidadian,Trinidadians|Port of Spain
tunisia|Tunisia|Tunisia|Tunisian,Tunisians|Tunis
turkey|Turkey|~Turkey,Türkiye|Turkish,Turk,Turks|Ankara,Istanbul
turkmenistan|Turkmenistan|Turkmenistan|Turkmen|Ashgabat
tuvalu|Tuvalu|Tuvalu|Tuvaluan|Funafuti
uganda|Uganda|Uganda|Ugandan,Ugandans|Kampala
ukraine|Ukraine|Ukraine|Ukrainian,Ukrainians|Kyiv,Kiev,Kharkiv,Odesa,Odessa,Lviv
united-arab-emirates|United Arab Emirates|United Arab Emirates,UAE,Emirates|Emirati,Emiratis|Abu Dhabi,Dubai
united-kingdom|United Kingdom|United Kingdom,UK,Britain,Great Britain,Northern Ireland|British,Briton,Britons|~London,Downing Street,Westminster
united-states|United States|United States,United States of America,US,USA,~America|American,Americans|~Washington,Washington DC
uruguay|Uruguay|Uruguay|Uruguayan,Uruguayans|Montevideo
uzbekistan|Uzbekistan|Uzbekistan|Uzbek,Uzbeks|Tashkent
vanuatu|Vanuatu|Vanuatu|Vanuatuan,Ni-Vanuatu|Port Vila
venezuela|Venezuela|Venezuela|Venezuelan,Venezuelans|Caracas
vietnam|Vietnam|Vietnam,Viet Nam|Vietnamese|Hanoi
yemen|Yemen|Yemen|Yemeni,Yemenis|Sanaa,Sana'a
zambia|Zambia|Zambia|Zambian,Zambians|Lusaka
zimbabwe|Zimbabwe|Zimbabwe|Zimbabwean,Zimbabweans|Harare
taiwan|Taiwan|Taiwan,Republic of China,Chinese Taipei|Taiwanese|Taipei
kosovo|Kosovo|Kosovo|Kosovar,Kosovars,Kosovan|Pristina
`

// gazetteerBlocks are phrases that contain a gazetteer name but name
// something else; matching them first keeps their parts from matching.
const gazetteerBlocks = `New Mexico,New South Wales,New England,New Guinea,Latin America,Latin American,Latin Americans,South America,South American,South Americans,North America,North American,North Americans,Central America,Central American,Native American,Native Americans,African American,African Americans,Asian American,Asian Americans,Indian Ocean,Irish Sea,Arabian Sea,Georgia Tech,Washington State,Washington Post,Jordan River,French Guiana,French Polynesia,Dutch Caribbean,Turkish Cypriot,Congo River,Mexican wave,Panama Canal,Panama Papers,Paris Agreement,Paris Saint-Germain`

// gazetteerPlaces are other places whose names begin with a common word or
// a modifier (commonWords, modifiers: "New", "Great", "Old"), which does
// not start a name unless a name of the gazetteer starts there. Like the
// blocks they give no country tag: they are tagged as names.
const gazetteerPlaces = `New York,New York City,New Yorker,New Yorkers,New Jersey,New Hampshire,New Orleans,New Haven,New Brunswick,New Caledonia,New Bedford,New Rochelle,New Forest,New Territories,Great Lakes,Great Plains,Great Barrier Reef,Great Wall,Great Yarmouth,Big Sur,Big Bend,High Wycombe,Old Trafford,Old Bailey,Greater London,Greater Manchester`

// gazEntry is one variant of the gazetteer.
type gazEntry struct {
	toks    []string // folded tokens
	capReq  []bool   // per token: must be capitalised in the text
	poss    []bool   // per token: written with a possessive ("People's")
	country int      // index into gazCountries; -1 for a block
	upper   bool     // written in capitals: must be capitals or dotted in the text
	kind    uint8    // gazName, gazAdj or gazPlace
	alone   bool     // ~
	weak    bool     // ?
	notSent bool     // ^
}

const (
	gazName uint8 = iota
	gazAdj
	gazPlace
)

type gazCountry struct{ slug, label string }

var (
	gazCountries []gazCountry
	gazEntries   []gazEntry
	gazIndex     map[string][]int32 // first token → entries, longest first
)

func init() {
	gazIndex = map[string][]int32{}
	add := func(variant string, country int, kind uint8) {
		v := strings.TrimSpace(variant)
		e := gazEntry{country: country, kind: kind}
		for len(v) > 0 && strings.ContainsRune("~?^", rune(v[0])) {
			switch v[0] {
			case '~':
				e.alone = true
			case '?':
				e.weak = true
			case '^':
				e.notSent = true
			}
			v = v[1:]
		}
		if v == "" {
			return
		}
		for _, t := range tokenize(v, nil) {
			e.toks = append(e.toks, t.norm)
			e.capReq = append(e.capReq, t.flags&tCap != 0)
			e.poss = append(e.poss, t.flags&tPoss != 0)
			if t.flags&tUpper != 0 && len(e.toks) == 1 {
				e.upper = true
			}
		}
		if len(e.toks) != 1 {
			e.upper = false
		}
		id := int32(len(gazEntries))
		gazEntries = append(gazEntries, e)
		gazIndex[e.toks[0]] = append(gazIndex[e.toks[0]], id)
	}
	for line := range strings.Lines(gazetteerData) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 5 {
			panic("tag: bad gazetteer line " + line)
		}
		c := len(gazCountries)
		gazCountries = append(gazCountries, gazCountry{slug: f[0], label: f[1]})
		for i, kind := range []uint8{gazName, gazAdj, gazPlace} {
			for v := range strings.SplitSeq(f[2+i], ",") {
				add(v, c, kind)
			}
		}
	}
	for v := range strings.SplitSeq(gazetteerBlocks+","+gazetteerPlaces, ",") {
		add(v, -1, gazName)
	}
	for k, ids := range gazIndex {
		slices.SortStableFunc(ids, func(a, b int32) int { return len(gazEntries[b].toks) - len(gazEntries[a].toks) })
		gazIndex[k] = ids
		lexicon.add(k, wordHash(k), lexGaz)
	}
}

// gazMatch finds the longest gazetteer entry starting at toks[i] whose words
// and capitals match. The context rules (standalone, weak, ...) are left to
// the caller.
func gazMatch(toks []token, i int, allCaps bool) (int32, int, bool) {
	t := toks[i]
	if t.flags&tCap == 0 || t.lexBits()&lexGaz == 0 {
		return 0, 0, false
	}
	ids, ok := gazIndex[t.norm]
	if !ok {
		return 0, 0, false
	}
next:
	for _, id := range ids {
		e := &gazEntries[id]
		if i+len(e.toks) > len(toks) {
			continue
		}
		for k, w := range e.toks {
			tk := toks[i+k]
			if tk.norm != w || (k > 0 && tk.flags&tSep != 0) || (k > 0 && toks[i+k-1].flags&tPoss != 0 && !e.poss[k-1]) {
				continue next
			}
			if e.capReq[k] && tk.flags&tCap == 0 {
				continue next
			}
		}
		if e.upper {
			if t.flags&tUpper == 0 || (allCaps && t.norm == "us") {
				continue
			}
		}
		return id, i + len(e.toks), true
	}
	return 0, 0, false
}
