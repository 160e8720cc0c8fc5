//! Form-encoded parameters of query-protocol requests (EC2, IAM, STS): `Action=…`, lists as
//! `Name.1`, `Name.2`, structures as `Name.1.Key`, filters as `Filter.1.Name` / `Filter.1.Value.1`.

use std::collections::BTreeMap;

use crate::error::{AwsError, AwsResult};

/// The decoded parameters of one request.
#[derive(Debug, Clone, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Decodes a form body (and merges URL query parameters, which some clients use).
    pub fn parse(body: &[u8], url_query: Option<&str>) -> Self {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(url_query.unwrap_or("").as_bytes())
            .chain(form_urlencoded::parse(body))
        {
            map.insert(k.into_owned(), v.into_owned());
        }
        Self(map)
    }

    /// A parameter, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A required parameter.
    pub fn require(&self, name: &str) -> AwsResult<&str> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AwsError::missing(name))
    }

    /// A boolean parameter (`true`/`false`), default false.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> AwsResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| AwsError::invalid(name, v, "It must be an integer.")),
        }
    }

    /// The values of a list `prefix.1`, `prefix.2`, … in index order.
    pub fn list(&self, prefix: &str) -> Vec<String> {
        self.indexed(prefix)
            .into_iter()
            .filter_map(|(_, sub)| sub.get("").map(str::to_owned))
            .collect()
    }

    /// The members of a list of structures `prefix.N.field`, as one `Params` per element keyed
    /// by the rest of the name (`""` for scalar lists).
    pub fn indexed(&self, prefix: &str) -> Vec<(u32, Params)> {
        let mut out: BTreeMap<u32, BTreeMap<String, String>> = BTreeMap::new();
        let dotted = format!("{prefix}.");
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix(&dotted) else {
                continue;
            };
            let (index, tail) = rest.split_once('.').unwrap_or((rest, ""));
            if let Ok(i) = index.parse::<u32>() {
                out.entry(i).or_default().insert(tail.to_owned(), v.clone());
            }
        }
        out.into_iter().map(|(i, m)| (i, Params(m))).collect()
    }

    /// `Filter.N.Name` / `Filter.N.Value.M` pairs.
    pub fn filters(&self) -> Vec<(String, Vec<String>)> {
        self.indexed("Filter")
            .into_iter()
            .filter_map(|(_, f)| Some((f.get("Name")?.to_owned(), f.list("Value"))))
            .collect()
    }

    /// Every key, for detecting unknown parameters.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_structures_and_filters() {
        let p = Params::parse(
            b"Action=DescribeImages&ImageId.2=ami-b&ImageId.1=ami-a&Filter.1.Name=name&Filter.1.Value.1=F*&Filter.1.Value.2=G*&Tag.1.Key=k&Tag.1.Value=v",
            None,
        );
        assert_eq!(p.get("Action"), Some("DescribeImages"));
        assert_eq!(p.list("ImageId"), vec!["ami-a", "ami-b"]);
        assert_eq!(
            p.filters(),
            vec![("name".to_owned(), vec!["F*".to_owned(), "G*".to_owned()])]
        );
        let tags = p.indexed("Tag");
        assert_eq!(tags[0].1.get("Key"), Some("k"));
    }

    #[test]
    fn reports_missing_and_malformed_values() {
        let p = Params::parse(b"MaxResults=ten", None);
        assert_eq!(p.require("Name").unwrap_err().code, "MissingParameter");
        assert_eq!(
            p.int("MaxResults").unwrap_err().code,
            "InvalidParameterValue"
        );
    }
}
