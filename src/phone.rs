//! Phone numbers: parsing what marketers write, finding displayed numbers in page text, and
//! format-preserving substitution. DOM-free; tested natively.
//!
//! (Skeleton: types and signatures other modules rely on. The finder and renderer land next.)

/// A country whose national number formats the snippet understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Japan (+81, trunk 0).
    JP,
    /// United States (+1, NANP).
    US,
    /// Canada (+1, NANP).
    CA,
    /// United Kingdom (+44, trunk 0).
    GB,
}

impl Region {
    /// Parses an ISO 3166 alpha-2 code, case-insensitively (`UK` is accepted for `GB`).
    pub fn from_code(code: &str) -> Option<Region> {
        match code.to_ascii_uppercase().as_str() {
            "JP" => Some(Region::JP),
            "US" => Some(Region::US),
            "CA" => Some(Region::CA),
            "GB" | "UK" => Some(Region::GB),
            _ => None,
        }
    }

    /// The ISO code.
    pub fn code(self) -> &'static str {
        match self {
            Region::JP => "JP",
            Region::US => "US",
            Region::CA => "CA",
            Region::GB => "GB",
        }
    }

    /// The country calling code.
    pub fn calling_code(self) -> u16 {
        match self {
            Region::JP => 81,
            Region::US | Region::CA => 1,
            Region::GB => 44,
        }
    }
}

/// A parsed phone number: country calling code, national significant number, extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    /// Country calling code (81, 1, 44).
    pub country_code: u16,
    /// National significant number: ASCII digits, without trunk prefix.
    pub national: String,
    /// Extension digits, if written.
    pub extension: Option<String>,
}

impl PhoneNumber {
    /// Parses a number as a marketer writes it (`03-1234-5678`, `+1 (415) 555-0100 x12`).
    ///
    /// # Errors
    /// A short hint when it is not a phone number of `region` or an international number.
    pub fn parse(written: &str, region: Region) -> Result<PhoneNumber, &'static str> {
        let digits: String = written.chars().filter(|c| c.is_ascii_digit()).collect();
        let intl = written.trim_start().starts_with('+');
        let (cc, national) = if intl {
            let cc = region.calling_code();
            let cc_s = cc.to_string();
            match digits.strip_prefix(cc_s.as_str()) {
                Some(rest) => (cc, rest.to_string()),
                None => return Err("unknown country calling code"),
            }
        } else {
            let trunk = if region.calling_code() == 1 { '1' } else { '0' };
            let rest = digits.strip_prefix(trunk).unwrap_or(&digits);
            (region.calling_code(), rest.to_string())
        };
        if national.len() < 6 || national.len() > 12 {
            return Err("expected 7 to 13 digits");
        }
        Ok(PhoneNumber { country_code: cc, national, extension: None })
    }

    /// The number in E.164 (`+81312345678`), without extension.
    pub fn e164(&self) -> String {
        let mut s = String::from("+");
        s.push_str(&self.country_code.to_string());
        s.push_str(&self.national);
        s
    }
}
