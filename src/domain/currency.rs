//! ISO 4217 currencies in circulation and their minor units, so money travels as integers of
//! the minor unit (cents) and is shown with the right number of decimals.

/// Currencies whose minor unit is not 1/100: (code, decimals).
const NOT_TWO_DECIMALS: [(&str, u32); 26] = [
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// Every other active code (minor unit 1/100). Precious metals, testing and fund codes
/// without a minor unit (XAU, XTS, XXX, ...) are left out: nobody prices messages in them.
const TWO_DECIMALS: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN \
    BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL \
    GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL \
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON \
    RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH \
    USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL";

/// The number of decimals of an active ISO 4217 code (upper case), or `None` for anything else.
pub fn decimals(code: &str) -> Option<u32> {
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    if let Some((_, d)) = NOT_TWO_DECIMALS.iter().find(|(c, _)| *c == code) {
        return Some(*d);
    }
    TWO_DECIMALS.split_whitespace().any(|c| c == code).then_some(2)
}

/// An amount in minor units as a number of major units (for spreadsheets).
pub fn to_major(amount_minor: i64, decimals: u32) -> f64 {
    amount_minor as f64 / 10f64.powi(decimals as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_codes_and_their_decimals() {
        assert_eq!(decimals("EUR"), Some(2));
        assert_eq!(decimals("JPY"), Some(0));
        assert_eq!(decimals("KWD"), Some(3));
        assert_eq!(decimals("eur"), None);
        assert_eq!(decimals("ABC"), None);
        assert_eq!(decimals("EURO"), None);
        assert_eq!(to_major(1234, 2), 12.34);
    }
}
