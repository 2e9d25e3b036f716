//! What a list of scanned codes names, for the screens that take boxes one scan at a time (Move,
//! Shelf audit): the boxes, and for a code naming no box, the place whose label it is.

use std::collections::HashMap;

use diesel::PgConnection;

use crate::error::Result;
use crate::storage::model::ArchiveBox;
use crate::storage::repo::{boxes, locations};

pub struct Scans {
    boxes: Vec<ArchiveBox>,
    /// The path of the place each code naming no box is the label of, by the code lowercased.
    labels: HashMap<String, String>,
}

impl Scans {
    pub fn read(conn: &mut PgConnection, barcodes: &[String]) -> Result<Scans> {
        let boxes = boxes::by_barcodes(conn, barcodes)?;
        let mut labels = HashMap::new();
        for barcode in barcodes {
            if !boxes.iter().any(|b| b.barcode.eq_ignore_ascii_case(barcode))
                && let Some(place) = locations::find_by_code(conn, barcode)?
            {
                labels.insert(barcode.to_lowercase(), place.path_code);
            }
        }
        Ok(Scans { boxes, labels })
    }

    pub fn box_of(&self, barcode: &str) -> Option<&ArchiveBox> {
        self.boxes.iter().find(|b| b.barcode.eq_ignore_ascii_case(barcode))
    }

    /// The path of the place `barcode` is the label of (when it names no box).
    pub fn label_of(&self, barcode: &str) -> Option<&str> {
        self.labels.get(&barcode.to_lowercase()).map(String::as_str)
    }
}

/// The row (from 0) where `barcodes[index]` was first scanned, when it was scanned before.
pub fn scanned_before(barcodes: &[String], index: usize) -> Option<usize> {
    barcodes.iter().position(|b| b.eq_ignore_ascii_case(&barcodes[index])).filter(|&first| first < index)
}

/// The barcode just scanned (`add`), cleaned, appended to the list the address holds.
pub fn with_added(mut barcodes: Vec<String>, add: Option<String>) -> Vec<String> {
    if let Some(scanned) = add.map(|a| crate::text::normalize(a.trim())).filter(|a| !a.is_empty()) {
        barcodes.push(scanned);
    }
    barcodes
}
