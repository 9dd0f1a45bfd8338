package httpapi

import (
	"net/http"

	"github.com/weipian/weipian/app"
)

// xiafaRoutes are the routes about 下发 batches beyond their import and
// export (in the table).
func (s *Server) xiafaRoutes() []route {
	return []route{
		{Method: "GET", Path: "/xiafa", Tag: "xiafa", Summary: "下发批次（最新在前）及其核查进度：图斑数、自主监测或巡查已发现数、已核查、已填报、逾期、举证照片",
			Response: []app.XiafaBatchView{}, Handler: func(w http.ResponseWriter, r *http.Request, p app.Principal) error {
				return reply(w, http.StatusOK)(s.app.XiafaBatches(r.Context(), p))
			}},
	}
}
