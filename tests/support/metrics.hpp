#pragma once
// Prometheus text format (0.0.4) reader for /metrics: samples with their labels,
// and lookups that sum over the samples whose labels include the given ones.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace support {

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

class Metrics {
  public:
    // Throws std::runtime_error naming the line that is not a sample or comment.
    static Metrics parse(const std::string& text);

    // Sum of the samples named `name` whose labels include `labels`; nullopt if none.
    std::optional<double> find(const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) const;
    // As find, but throws (with the metric named) when there is no such sample.
    double value(const std::string& name,
                 const std::map<std::string, std::string>& labels = {}) const;
    bool has(const std::string& name) const { return find(name).has_value(); }
    // The `# TYPE name kind` line's kind ("" when absent).
    std::string type(const std::string& name) const;

    const std::vector<Sample>& samples() const { return samples_; }
    const std::string& text() const { return text_; }

  private:
    std::vector<Sample> samples_;
    std::map<std::string, std::string> types_;
    std::string text_;
};

}  // namespace support
