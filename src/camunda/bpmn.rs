//! What the gateway itself reads of a BPMN model: the name of each element, so a summary for the
//! model can say "Charge card" rather than `Activity_0x8k2`, and whether the model has a diagram
//! layout (BPMN DI) the process view can draw. The XML itself never goes into a model's result.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// The parts of a BPMN model a summary needs.
#[derive(Debug, Default)]
pub struct Model {
    /// Element id → its name, for every element that has both.
    names: HashMap<String, String>,
    /// It has at least one shape in a diagram: there is something to draw.
    pub laid_out: bool,
}

impl Model {
    /// Reads `xml` in one streaming pass; malformed XML is an error that says where.
    pub fn read(xml: &str) -> Result<Model, String> {
        let mut reader = Reader::from_str(xml);
        let mut model = Model::default();
        loop {
            let event = reader
                .read_event()
                .map_err(|e| format!("{e} (at byte {})", reader.error_position()))?;
            match event {
                Event::Start(e) | Event::Empty(e) => model.take(&e)?,
                Event::Eof => return Ok(model),
                _ => {}
            }
        }
    }

    /// The name of element `id`, if it has one.
    pub fn name(&self, id: &str) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }

    fn take(&mut self, element: &BytesStart<'_>) -> Result<(), String> {
        if element.local_name().as_ref() == "BPMNShape" {
            self.laid_out = true;
            return Ok(());
        }
        let (mut id, mut name) = (None, None);
        for attribute in element.attributes() {
            let attribute = attribute.map_err(|e| e.to_string())?;
            let slot = match attribute.key.local_name().as_ref() {
                "id" => &mut id,
                "name" => &mut name,
                _ => continue,
            };
            let value = attribute
                .normalized_value(XmlVersion::default())
                .map_err(|e| e.to_string())?;
            *slot = Some(value.into_owned());
        }
        if let (Some(id), Some(name)) = (id, name) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            self.names.insert(id, name);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_layout_are_read_and_bad_xml_says_where() {
        let xml = r#"<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI">
  <bpmn:process id="order" name="Order &amp; pay">
    <bpmn:serviceTask id="Charge" name="Charge&#10;card" />
    <bpmn:endEvent id="Done" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="order">
    <bpmndi:BPMNShape id="Charge_di" bpmnElement="Charge" />
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"#;
        let model = Model::read(xml).unwrap();
        assert_eq!(model.name("order"), Some("Order & pay"));
        assert_eq!(model.name("Charge"), Some("Charge card"));
        assert_eq!(model.name("Done"), None);
        assert!(model.laid_out);
        let without = xml.replace("bpmndi:BPMNShape", "bpmndi:Other");
        assert!(!Model::read(&without).unwrap().laid_out);
        let err = Model::read("<a><b></a>").unwrap_err();
        assert!(err.contains("at byte"), "{err}");
    }
}
