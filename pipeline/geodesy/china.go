package geodesy

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// chinaOutline is a coarse lon/lat ring (degrees) around the land territory
// of the People's Republic of China, Hainan and Hong Kong/Macau included,
// Taiwan not included. It was written down by hand, clockwise from the
// western tip, then checked on a 0.1° grid against the Natural Earth 1:110m
// admin-0 boundaries: on land it differs from them by at most about 30 km. It
// takes in the Bohai Sea, the Qiongzhou Strait and some coastal water, and the
// disputed Aksai Chin / Arunachal sections follow the line of actual control.
// It is meant only to choose between Gauss-Krüger and UTM zones.
var chinaOutline = orb.Ring{
	// Kyrgyzstan
	{73.50, 39.45}, {73.95, 39.75}, {74.90, 40.45}, {76.40, 40.40},
	{76.90, 41.05}, {78.70, 41.60}, {80.20, 42.20},
	// Kazakhstan
	{80.35, 43.00}, {80.80, 43.20}, {80.00, 44.90}, {81.95, 45.30},
	{82.45, 45.55}, {82.95, 47.20}, {85.50, 47.05}, {85.70, 48.40},
	{86.80, 49.10}, {87.80, 49.17},
	// Mongolia
	{88.80, 48.20}, {90.10, 47.80}, {90.90, 46.80}, {90.70, 45.50},
	{93.50, 44.95}, {95.40, 44.30}, {96.40, 42.75}, {101.80, 42.50},
	{105.00, 41.60}, {106.80, 42.30}, {109.50, 42.45}, {111.85, 43.75},
	{111.35, 44.45}, {111.90, 45.10}, {113.45, 44.80}, {116.00, 45.70},
	{117.40, 46.55}, {119.90, 46.70}, {118.50, 47.95}, {115.60, 47.85},
	{116.70, 49.85},
	// Russia: Argun, Amur, Ussuri, Khanka, Primorye
	{117.80, 49.55}, {119.30, 50.20}, {120.10, 51.70}, {120.75, 52.50},
	{120.20, 52.75}, {121.00, 53.25}, {122.40, 53.45}, {125.00, 53.20},
	{126.50, 52.10}, {127.55, 50.20}, {127.70, 49.75}, {129.50, 49.40},
	{130.70, 48.90}, {130.90, 47.70}, {132.60, 47.70}, {134.20, 48.40},
	{134.75, 48.40}, {133.90, 46.60}, {133.15, 45.10}, {132.00, 45.30},
	{131.00, 44.90}, {131.30, 44.05}, {130.85, 42.85}, {130.60, 42.42},
	// North Korea: Tumen, Paektu, Yalu
	{129.85, 43.00}, {129.00, 42.25}, {128.05, 42.00}, {128.20, 41.40},
	{127.20, 41.50}, {126.90, 41.80}, {126.20, 41.10}, {125.00, 40.40},
	{124.30, 39.90},
	// Coast: Liaodong, Shandong, Jiangsu, Zhejiang, Fujian, Guangdong
	{121.20, 38.70}, {122.70, 37.40}, {120.50, 36.00}, {119.30, 34.80},
	{120.30, 34.30}, {120.90, 33.00}, {121.95, 31.70}, {122.50, 29.90},
	{121.00, 27.80}, {119.80, 25.50}, {118.70, 24.50}, {117.50, 23.60},
	{115.50, 22.70}, {114.30, 22.10}, {113.50, 22.00}, {111.50, 21.40},
	{110.60, 21.00},
	// Hainan and the Gulf of Tonkin
	{111.10, 19.80}, {110.60, 18.60}, {109.50, 18.10}, {108.60, 18.50},
	{108.60, 19.30}, {109.50, 20.30}, {109.60, 21.50}, {108.05, 21.55},
	// Vietnam
	{107.30, 21.75}, {106.70, 22.00}, {106.70, 22.85}, {105.85, 22.95},
	{105.30, 23.35}, {104.45, 22.80}, {103.95, 22.45}, {102.15, 22.40},
	// Laos
	{101.65, 22.30}, {101.80, 21.15}, {101.20, 21.30},
	// Myanmar
	{100.20, 21.45}, {99.95, 22.05}, {99.30, 22.15}, {99.50, 22.90},
	{98.85, 23.20}, {98.70, 23.95}, {97.55, 23.95}, {98.10, 25.40},
	{98.60, 26.20}, {98.70, 27.50}, {97.35, 28.20},
	// India (east), Bhutan
	{96.10, 29.45}, {94.60, 29.30}, {92.60, 27.90}, {91.60, 27.95},
	{90.30, 28.25}, {89.60, 28.15}, {88.95, 27.30}, {88.80, 27.85},
	// Nepal
	{88.10, 27.90}, {86.90, 28.05}, {85.90, 28.00}, {85.05, 28.60},
	{84.20, 28.85}, {83.35, 29.45}, {82.30, 30.10}, {81.10, 30.20},
	// India (west)
	{79.75, 30.90}, {78.75, 31.70}, {78.70, 32.50}, {79.30, 32.70},
	{78.70, 33.60}, {78.90, 34.30}, {77.80, 35.50},
	// Pakistan, Afghanistan, Tajikistan
	{76.50, 35.90}, {75.90, 36.60}, {75.40, 36.90}, {74.85, 37.25},
	{74.90, 37.80}, {74.85, 38.40}, {74.20, 38.70}, {73.70, 39.40},
	{73.50, 39.45},
}

// chinaBound is the bounding box of chinaOutline.
var chinaBound = chinaOutline.Bound()

// InChina reports whether lon, lat (degrees, WGS84/CGCS2000) lies inside a
// coarse outline of the land territory of the People's Republic of China
// (Hainan, Hong Kong and Macau included, Taiwan not included). Near the
// borders and the coast the outline may be off by a few tens of kilometres,
// and it includes the Bohai Sea and some coastal water; it is meant for
// choosing a projection zone, not for deciding jurisdiction.
func InChina(lon, lat float64) bool {
	p := orb.Point{normLon(lon), lat}
	if !chinaBound.Contains(p) {
		return false
	}
	return planar.RingContains(chinaOutline, p)
}
