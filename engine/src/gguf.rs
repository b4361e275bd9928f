//! Reading GGUF files: header, typed metadata, tensor directory and tensor
//! bytes. Every size is checked against the file length before anything is
//! allocated, so a truncated or hostile file is an error, never a panic or a
//! huge allocation.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use crate::error::{Error, Result};
use crate::quant::GgmlType;

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
const KEY_ALIGNMENT: &str = "general.alignment";

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    Str(String),
    Array(Array),
}

/// A metadata array, stored by element type.
#[derive(Debug, Clone, PartialEq)]
pub enum Array {
    Ints(Vec<i64>, &'static str),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
    Nested(usize),
}

impl Value {
    /// The GGUF type name, for error messages.
    pub fn type_name(&self) -> String {
        match self {
            Value::U8(_) => "u8".into(),
            Value::I8(_) => "i8".into(),
            Value::U16(_) => "u16".into(),
            Value::I16(_) => "i16".into(),
            Value::U32(_) => "u32".into(),
            Value::I32(_) => "i32".into(),
            Value::U64(_) => "u64".into(),
            Value::I64(_) => "i64".into(),
            Value::F32(_) => "f32".into(),
            Value::F64(_) => "f64".into(),
            Value::Bool(_) => "bool".into(),
            Value::Str(_) => "string".into(),
            Value::Array(a) => match a {
                Array::Ints(_, t) => format!("array of {t}"),
                Array::F32(_) => "array of f32".into(),
                Array::F64(_) => "array of f64".into(),
                Array::Bool(_) => "array of bool".into(),
                Array::Str(_) => "array of string".into(),
                Array::Nested(_) => "array of arrays".into(),
            },
        }
    }

    fn as_i128(&self) -> Option<i128> {
        Some(match *self {
            Value::U8(v) => v.into(),
            Value::I8(v) => v.into(),
            Value::U16(v) => v.into(),
            Value::I16(v) => v.into(),
            Value::U32(v) => v.into(),
            Value::I32(v) => v.into(),
            Value::U64(v) => v.into(),
            Value::I64(v) => v.into(),
            _ => return None,
        })
    }
}

/// Where one tensor is and what it holds.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions as GGUF stores them: innermost (contiguous) first.
    pub dims: Vec<usize>,
    pub ggml_type: GgmlType,
    /// Absolute offset of the data in the file.
    pub offset: u64,
    pub n_bytes: u64,
}

/// A parsed GGUF file: metadata and tensor directory. Tensor bytes are read
/// on demand from the mapped file, with [`Gguf::tensor_bytes`].
pub struct Gguf {
    path: PathBuf,
    map: Arc<Mmap>,
    file_len: u64,
    pub version: u32,
    metadata: BTreeMap<String, Value>,
    tensors: BTreeMap<String, TensorInfo>,
}

impl std::fmt::Debug for Gguf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gguf")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("tensors", &self.tensors.len())
            .finish()
    }
}

struct Reader<'a> {
    inner: BufReader<&'a File>,
    pos: u64,
    len: u64,
    path: &'a Path,
}

impl Reader<'_> {
    fn bytes(&mut self, n: u64, what: &str) -> Result<Vec<u8>> {
        self.need(n, what)?;
        let mut buf = vec![0u8; n as usize];
        self.inner.read_exact(&mut buf).map_err(|e| self.io(e))?;
        self.pos += n;
        Ok(buf)
    }

    fn need(&self, n: u64, what: &str) -> Result<()> {
        if self.pos.checked_add(n).is_none_or(|end| end > self.len) {
            return Err(Error::Truncated {
                path: self.path.to_path_buf(),
                what: what.to_string(),
                offset: self.pos,
                needed: n,
                file_len: self.len,
            });
        }
        Ok(())
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.path.to_path_buf(),
            source,
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        self.need(N as u64, what)?;
        let mut buf = [0u8; N];
        self.inner.read_exact(&mut buf).map_err(|e| self.io(e))?;
        self.pos += N as u64;
        Ok(buf)
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn string(&mut self, what: &str) -> Result<String> {
        let n = self.u64(what)?;
        let bytes = self.bytes(n, what)?;
        String::from_utf8(bytes).map_err(|_| Error::Corrupt {
            path: self.path.to_path_buf(),
            reason: format!("{what} is not valid UTF-8"),
        })
    }

    fn value(&mut self, ty: u32, what: &str, depth: usize) -> Result<Value> {
        Ok(match ty {
            0 => Value::U8(u8::from_le_bytes(self.array(what)?)),
            1 => Value::I8(i8::from_le_bytes(self.array(what)?)),
            2 => Value::U16(u16::from_le_bytes(self.array(what)?)),
            3 => Value::I16(i16::from_le_bytes(self.array(what)?)),
            4 => Value::U32(u32::from_le_bytes(self.array(what)?)),
            5 => Value::I32(i32::from_le_bytes(self.array(what)?)),
            6 => Value::F32(f32::from_le_bytes(self.array(what)?)),
            7 => Value::Bool(u8::from_le_bytes(self.array(what)?) != 0),
            8 => Value::Str(self.string(what)?),
            9 => Value::Array(self.array_value(what, depth)?),
            10 => Value::U64(u64::from_le_bytes(self.array(what)?)),
            11 => Value::I64(i64::from_le_bytes(self.array(what)?)),
            12 => Value::F64(f64::from_le_bytes(self.array(what)?)),
            other => {
                return Err(Error::Corrupt {
                    path: self.path.to_path_buf(),
                    reason: format!("{what} has unknown value type {other}"),
                });
            }
        })
    }

    fn array_value(&mut self, what: &str, depth: usize) -> Result<Array> {
        let ty = self.u32(what)?;
        let n = self.u64(what)?;
        // Every element takes at least one byte: refuse counts the file cannot hold.
        let min_size = match ty {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            8 | 10..=12 => 8,
            9 => 12,
            _ => 1,
        };
        self.need(n.saturating_mul(min_size), what)?;
        let n = n as usize;
        let int = |r: &mut Self, name: &'static str| -> Result<Array> {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let v = r.value(ty, what, depth)?;
                out.push(v.as_i128().unwrap_or_default() as i64);
            }
            Ok(Array::Ints(out, name))
        };
        Ok(match ty {
            0 => int(self, "u8")?,
            1 => int(self, "i8")?,
            2 => int(self, "u16")?,
            3 => int(self, "i16")?,
            4 => int(self, "u32")?,
            5 => int(self, "i32")?,
            10 => int(self, "u64")?,
            11 => int(self, "i64")?,
            6 => {
                let raw = self.bytes(n as u64 * 4, what)?;
                Array::F32(
                    raw.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                )
            }
            12 => {
                let raw = self.bytes(n as u64 * 8, what)?;
                Array::F64(
                    raw.chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                        .collect(),
                )
            }
            7 => Array::Bool(
                self.bytes(n as u64, what)?
                    .into_iter()
                    .map(|b| b != 0)
                    .collect(),
            ),
            8 => {
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    out.push(self.string(what)?);
                }
                Array::Str(out)
            }
            9 => {
                if depth > 4 {
                    return Err(Error::Corrupt {
                        path: self.path.to_path_buf(),
                        reason: format!("{what} nests arrays too deeply"),
                    });
                }
                for _ in 0..n {
                    self.array_value(what, depth + 1)?;
                }
                Array::Nested(n)
            }
            other => {
                return Err(Error::Corrupt {
                    path: self.path.to_path_buf(),
                    reason: format!("{what} has unknown element type {other}"),
                });
            }
        })
    }
}

impl Gguf {
    /// Open and parse the header, metadata and tensor directory of `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::MissingFile {
                    path: path.to_path_buf(),
                }
            } else {
                Error::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("it is a directory, not a .gguf file"),
            });
        }
        let file_len = meta.len();
        let mut r = Reader {
            inner: BufReader::with_capacity(1 << 20, &file),
            pos: 0,
            len: file_len,
            path,
        };
        if file_len < 4 {
            return Err(Error::BadMagic {
                path: path.to_path_buf(),
                found: String::from_utf8_lossy(&r.bytes(file_len, "magic")?).into_owned(),
            });
        }
        let magic: [u8; 4] = r.array("magic")?;
        if &magic != MAGIC {
            return Err(Error::BadMagic {
                path: path.to_path_buf(),
                found: magic.escape_ascii().to_string(),
            });
        }
        let version = r.u32("version")?;
        if !(2..=3).contains(&version) {
            return Err(Error::UnsupportedGgufVersion {
                path: path.to_path_buf(),
                version,
            });
        }
        let n_tensors = r.u64("tensor count")?;
        let n_kv = r.u64("metadata count")?;
        // A key-value pair takes at least 12 bytes, a tensor entry at least 24.
        r.need(n_kv.saturating_mul(12), "metadata")?;
        let mut metadata = BTreeMap::new();
        for i in 0..n_kv {
            let key = r.string(&format!("metadata key #{i}"))?;
            let ty = r.u32(&format!("type of metadata `{key}`"))?;
            let value = r.value(ty, &format!("metadata `{key}`"), 0)?;
            metadata.insert(key, value);
        }
        let alignment = match metadata.get(KEY_ALIGNMENT) {
            None => DEFAULT_ALIGNMENT,
            Some(v) => match v.as_i128() {
                Some(a) if a > 0 && (a as u64).is_power_of_two() => a as u64,
                _ => {
                    return Err(Error::InvalidMetadata {
                        path: path.to_path_buf(),
                        key: KEY_ALIGNMENT.into(),
                        reason: format!("{v:?} is not a power of two"),
                    });
                }
            },
        };
        r.need(n_tensors.saturating_mul(24), "tensor directory")?;
        let mut raw = Vec::with_capacity(n_tensors as usize);
        for i in 0..n_tensors {
            let name = r.string(&format!("tensor name #{i}"))?;
            let what = format!("tensor `{name}`");
            let n_dims = r.u32(&what)?;
            if n_dims == 0 || n_dims > 4 {
                return Err(Error::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("{what} has {n_dims} dimensions"),
                });
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                dims.push(r.u64(&what)?);
            }
            let ty = r.u32(&what)?;
            let offset = r.u64(&what)?;
            raw.push((name, dims, ty, offset));
        }
        let data_start = r.pos.div_ceil(alignment) * alignment;
        let mut tensors = BTreeMap::new();
        for (name, dims, ty, offset) in raw {
            let ggml_type = GgmlType::from_u32(ty);
            let corrupt = |reason: String| Error::Corrupt {
                path: path.to_path_buf(),
                reason,
            };
            let n_elems = dims
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| {
                    corrupt(format!("tensor `{name}` has absurd dimensions {dims:?}"))
                })?;
            let n_bytes = match ggml_type.block() {
                Some((block, size)) => {
                    if dims[0] % block as u64 != 0 {
                        return Err(corrupt(format!(
                            "tensor `{name}` has {} columns, not a multiple of its block size {block}",
                            dims[0]
                        )));
                    }
                    n_elems / block as u64 * size as u64
                }
                None => 0,
            };
            let abs = data_start
                .checked_add(offset)
                .ok_or_else(|| corrupt(format!("tensor `{name}` has offset {offset}")))?;
            if abs.saturating_add(n_bytes) > file_len {
                return Err(Error::Truncated {
                    path: path.to_path_buf(),
                    what: format!("tensor `{name}`"),
                    offset: abs,
                    needed: n_bytes,
                    file_len,
                });
            }
            let dims = dims.into_iter().map(|d| d as usize).collect();
            tensors.insert(
                name.clone(),
                TensorInfo {
                    name,
                    dims,
                    ggml_type,
                    offset: abs,
                    n_bytes,
                },
            );
        }
        drop(r);
        // SAFETY: the file is mapped read-only. Like llama.cpp, we rely on
        // model files not being modified while a model is loaded.
        let map = unsafe { Mmap::map(&file) }.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if (map.len() as u64) < file_len {
            return Err(Error::Truncated {
                path: path.to_path_buf(),
                what: "the file (it shrank while being read)".into(),
                offset: 0,
                needed: file_len,
                file_len: map.len() as u64,
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            map: Arc::new(map),
            file_len,
            version,
            metadata,
            tensors,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }

    pub fn metadata(&self) -> &BTreeMap<String, Value> {
        &self.metadata
    }

    fn require(&self, key: &str) -> Result<&Value> {
        self.metadata
            .get(key)
            .ok_or_else(|| Error::MissingMetadata {
                path: self.path.clone(),
                key: key.to_string(),
            })
    }

    fn type_error(&self, key: &str, expected: &'static str, v: &Value) -> Error {
        Error::MetadataType {
            path: self.path.clone(),
            key: key.to_string(),
            expected,
            found: v.type_name(),
        }
    }

    /// A non-negative integer of any integer type.
    pub fn usize(&self, key: &str) -> Result<usize> {
        let v = self.require(key)?;
        match v.as_i128() {
            Some(i) if i >= 0 && i <= usize::MAX as i128 => Ok(i as usize),
            Some(i) => Err(Error::InvalidMetadata {
                path: self.path.clone(),
                key: key.to_string(),
                reason: format!("{i} is negative"),
            }),
            None => Err(self.type_error(key, "an integer", v)),
        }
    }

    pub fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        if self.metadata.contains_key(key) {
            self.usize(key).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A float (f32 or f64).
    pub fn f32(&self, key: &str) -> Result<f32> {
        match self.require(key)? {
            Value::F32(v) => Ok(*v),
            Value::F64(v) => Ok(*v as f32),
            v => Err(self.type_error(key, "a float", v)),
        }
    }

    pub fn opt_f32(&self, key: &str) -> Result<Option<f32>> {
        if self.metadata.contains_key(key) {
            self.f32(key).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn str(&self, key: &str) -> Result<&str> {
        match self.require(key)? {
            Value::Str(s) => Ok(s),
            v => Err(self.type_error(key, "a string", v)),
        }
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&str>> {
        if self.metadata.contains_key(key) {
            self.str(key).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.metadata.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.type_error(key, "a bool", v)),
        }
    }

    pub fn str_array(&self, key: &str) -> Result<&[String]> {
        match self.require(key)? {
            Value::Array(Array::Str(s)) => Ok(s),
            v => Err(self.type_error(key, "an array of strings", v)),
        }
    }

    pub fn opt_str_array(&self, key: &str) -> Result<Option<&[String]>> {
        if self.metadata.contains_key(key) {
            self.str_array(key).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn opt_f32_array(&self, key: &str) -> Result<Option<&[f32]>> {
        match self.metadata.get(key) {
            None => Ok(None),
            Some(Value::Array(Array::F32(s))) => Ok(Some(s)),
            Some(v) => Err(self.type_error(key, "an array of f32", v)),
        }
    }

    pub fn opt_int_array(&self, key: &str) -> Result<Option<&[i64]>> {
        match self.metadata.get(key) {
            None => Ok(None),
            Some(Value::Array(Array::Ints(s, _))) => Ok(Some(s)),
            Some(v) => Err(self.type_error(key, "an array of integers", v)),
        }
    }

    pub fn tensor(&self, name: &str) -> Result<&TensorInfo> {
        self.tensors.get(name).ok_or_else(|| Error::MissingTensor {
            path: self.path.clone(),
            name: name.to_string(),
        })
    }

    pub fn has_tensor(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    pub fn tensors(&self) -> impl Iterator<Item = &TensorInfo> {
        self.tensors.values()
    }

    /// The raw bytes of a tensor (mapped, not copied).
    pub fn tensor_bytes(&self, info: &TensorInfo) -> &[u8] {
        let start = info.offset as usize;
        &self.map[start..start + info.n_bytes as usize]
    }

    /// Let the kernel drop a tensor's pages from memory (they are read
    /// again from the file if touched): for tensors copied at load.
    pub(crate) fn release(&self, info: &TensorInfo) {
        // SAFETY: the map is a read-only mapping of the file, so dropped
        // pages read back unchanged; the range is inside the map. Failing
        // to release only costs memory.
        let _ = unsafe {
            self.map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                info.offset as usize,
                info.n_bytes as usize,
            )
        };
    }

    /// A tensor's data as a slice of its block type, mapped in place when
    /// the data is aligned for `T`, copied otherwise.
    pub(crate) fn blocks<T: Copy>(&self, info: &TensorInfo) -> Blocks<T> {
        let size = std::mem::size_of::<T>();
        let len = info.n_bytes as usize / size;
        let offset = info.offset as usize;
        let ptr = self.map[offset..].as_ptr();
        if (ptr as usize).is_multiple_of(std::mem::align_of::<T>()) {
            Blocks::Mapped {
                map: Arc::clone(&self.map),
                offset,
                len,
                _t: PhantomData,
            }
        } else {
            let bytes = self.tensor_bytes(info);
            let v = (0..len)
                // SAFETY: T is a plain-old-data block type; read_unaligned
                // copes with any address.
                .map(|i| unsafe {
                    std::ptr::read_unaligned(bytes.as_ptr().add(i * size) as *const T)
                })
                .collect();
            Blocks::Owned(v)
        }
    }

    /// Check the dimensions of a tensor (innermost first, as GGUF stores them).
    pub fn expect_dims(&self, info: &TensorInfo, expected: &[usize]) -> Result<()> {
        if info.dims != expected {
            return Err(Error::TensorShape {
                path: self.path.clone(),
                name: info.name.clone(),
                expected: expected.to_vec(),
                found: info.dims.clone(),
            });
        }
        Ok(())
    }
}

/// Blocks of a tensor: a view into the mapped file, or an owned vector
/// (converted or unaligned data).
pub(crate) enum Blocks<T> {
    Owned(Vec<T>),
    Mapped {
        map: Arc<Mmap>,
        offset: usize,
        len: usize,
        _t: PhantomData<T>,
    },
}

impl<T> std::ops::Deref for Blocks<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Blocks::Owned(v) => v,
            // SAFETY: the range was checked against the file length when the
            // directory was parsed, the address is aligned for T (checked in
            // `Gguf::blocks`), T is plain old data, and the map lives as long
            // as this view.
            Blocks::Mapped {
                map, offset, len, ..
            } => unsafe { std::slice::from_raw_parts(map.as_ptr().add(*offset) as *const T, *len) },
        }
    }
}

impl<T> std::fmt::Debug for Blocks<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocks::Owned(v) => write!(f, "Owned({} blocks)", v.len()),
            Blocks::Mapped { len, .. } => write!(f, "Mapped({len} blocks)"),
        }
    }
}
